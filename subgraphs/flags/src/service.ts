import type { DatabaseHandle } from '@voiceassist/database';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { FLAGS_FEED_PATH } from '@voiceassist/flags-client/feed-protocol';
import { createSubgraphServer, defineSubgraphService, subgraphModule, type CreateServiceOptions, type ServiceInfra } from '@voiceassist/subgraph-server';
import { withSubgraphResources, type ErasingSubgraphService } from '@voiceassist/subgraph-server/resources';
import { createBackendFeed, type BackendFeed } from './backend-feed.js';
import { FLAG_CHANGES_TOPIC, startChangeFeed } from './change-feed.js';
import { createChangeStreams } from './change-streams.js';
import { flagsContext, type FlagsContext, type FlagsServices } from './context.js';
import { flagsDatabase } from './db/database.js';
import { erasedUsers } from './db/schema.js';
import { createEmailLookup } from './emails.js';
import { flagsEnvSchema, type FlagsEnv } from './env.js';
import { createFlagsErasure } from './erasure.js';
import { permissions } from './permissions.js';
import { resolvers } from './resolvers/index.js';
import { createSchedules } from './schedules.js';
import { startScheduler, type Scheduler } from './scheduler.js';
import { createFlagStore, type FlagChangeRecord } from './store.js';

export { flagsEnvSchema, type FlagsEnv } from './env.js';
export type { FlagsContext } from './context.js';
export type { FlagChangeRecord } from './store.js';

export const flagsSubgraph = subgraphModule<FlagsContext>('flags', new URL('./schema.graphql', import.meta.url), { resolvers, permissions });

export interface FlagsService extends ErasingSubgraphService {
  services: FlagsServices;
  /** The backend flags feed (open connections, closeAll). */
  backendFeed: BackendFeed;
  /** Where it runs, so a test can start a second replica on the same database and Redis. */
  infra: ServiceInfra;
  /** Stops the scheduler and the backend feeds, then the server, then releases the database and pub/sub. */
  close(): Promise<void>;
}

export interface FlagsServiceOptions extends CreateServiceOptions<FlagsEnv> {
  /**
   * An already open flags database to share instead of opening one (not closed by this
   * service). Lets two replicas share one in-memory PGlite, which cannot be opened twice.
   */
  database?: DatabaseHandle;
}

/** Opens the database (migrating it), starts the change feed and the scheduler, and builds the server; call listen() on it. */
export async function createFlagsService({ env, logger, infra, peers, database: shared }: FlagsServiceOptions): Promise<FlagsService> {
  const production = env.NODE_ENV === 'production';
  if (production && !env.FLAGS_SERVICE_TOKEN) logger.warn('FLAGS_SERVICE_TOKEN is not set: the backend flags feed is disabled, so backend services read no flags');
  // Pub/sub is all flags needs of Redis: changes reach the other replicas through it.
  const resources = { name: 'flags', env, logger, infra, database: shared ? { handle: shared, owned: false } : flagsDatabase, redis: false };
  return withSubgraphResources(resources, async ({ database, pubsub, onRelease, serverOptions, startErasures }) => {
    const store = createFlagStore(database.db);
    const schedules = createSchedules(database.db, store);
    const changeFeed = await startChangeFeed({ store, pubsub, logger });
    const started: { scheduler?: Scheduler } = {};
    // The scheduler (once started) stops before the feed it announces into.
    onRelease(async () => {
      await started.scheduler?.stop();
      await changeFeed.close();
    });
    const announce = (change: FlagChangeRecord) => {
      changeFeed.offer(change);
      pubsub.publish(FLAG_CHANGES_TOPIC, change).catch((error: unknown) => {
        // Other replicas still catch up from the database within their poll interval.
        logger.warn({ err: error, version: change.version }, 'could not publish a flag change');
      });
    };
    const streams = createChangeStreams(store, changeFeed, logger);
    const identityUrl = peers?.identity ?? env.IDENTITY_URL ?? new URL('/graphql', env.JWKS_URL).toString();
    const erasure = createFlagsErasure({ db: database.db, store, announce });
    const ledger = erasureLedger(database.db, erasedUsers);
    const services: FlagsServices = {
      store,
      schedules,
      streams,
      feed: changeFeed,
      emails: createEmailLookup({ identityUrl, logger }),
      announce,
      erasure: { progress: ledger.progress, exportData: erasure.exportData },
    };
    const backendFeed = createBackendFeed({ streams, logger, serviceToken: env.FLAGS_SERVICE_TOKEN, production });
    const scheduler = await startScheduler({
      schedules,
      store,
      announce,
      logger,
      intervalMs: env.FLAG_SCHEDULER_INTERVAL_MS,
      retentionMs: env.FLAG_HISTORY_RETENTION_HOURS * 3_600_000,
    });
    started.scheduler = scheduler;
    const server = createSubgraphServer<FlagsContext>({
      module: flagsSubgraph,
      context: flagsContext(services),
      // Without Redis, other replicas learn of changes from the database within their poll interval.
      ...serverOptions(),
      routes: { [FLAGS_FEED_PATH]: (req, res) => backendFeed.handle(req, res) },
    });
    const erasures = startErasures(ledger, erasure.erase);
    return {
      server,
      database,
      services,
      backendFeed,
      erasures,
      infra,
      async close() {
        // Open feeds would hold the HTTP server's drain; the scheduler must not write into a closing database.
        await scheduler.stop();
        backendFeed.closeAll();
        await server.close();
      },
    };
  });
}

/** How `pnpm start`, the test kit and the deployment checks start flags. */
export const flagsService = defineSubgraphService({
  module: flagsSubgraph,
  envSchema: flagsEnvSchema,
  portVariable: 'FLAGS_PORT',
  create: ({ env, logger, infra, peers }) => createFlagsService({ env, logger, infra, peers }),
});
