import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { createAccessTokenVerifier, createSessionRevocations, syncFromIdentity } from '@voiceassist/auth';
import type { DatabaseHandle } from '@voiceassist/database';
import { erasureLedger } from '@voiceassist/database/erased-users';
import { FLAGS_FEED_PATH } from '@voiceassist/flags-client/feed-protocol';
import { erasuresFromIdentity, startErasureConsumer, type ErasureConsumer } from '@voiceassist/erasure';
import type { Logger } from '@voiceassist/logging';
import { createPubSub } from '@voiceassist/pubsub';
import { RedisAvailability } from '@voiceassist/redis';
import { serviceHttpOptions } from '@voiceassist/graphql-http';
import { createSubgraphServer, type ServiceInfra, type SubgraphModule, type SubgraphServer, type SubgraphServiceDefinition } from '@voiceassist/subgraph-server';
import { createBackendFeed, type BackendFeed } from './backend-feed.js';
import { FLAG_CHANGES_TOPIC, startChangeFeed, type ChangeFeed } from './change-feed.js';
import { createChangeStreams } from './change-streams.js';
import { flagsContext, type FlagsContext, type FlagsServices } from './context.js';
import { openSubgraphDatabase } from '@voiceassist/database';
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

export const flagsSubgraph: SubgraphModule<FlagsContext> = {
  name: 'flags',
  typeDefs: parse(readFileSync(fileURLToPath(new URL('./schema.graphql', import.meta.url)), 'utf8')),
  resolvers,
  permissions,
};

export interface FlagsService {
  server: SubgraphServer;
  database: DatabaseHandle;
  services: FlagsServices;
  /** The backend flags feed (open connections, closeAll). */
  backendFeed: BackendFeed;
  /** Erases people identity deleted (`sync()` runs a pass now). */
  erasures: ErasureConsumer;
  /** Where it runs, so a test can start a second replica on the same database and Redis. */
  infra: ServiceInfra;
  /** Stops the scheduler and the backend feeds, then the server, then releases the database and pub/sub. */
  close(): Promise<void>;
}

export interface FlagsServiceOptions {
  env: FlagsEnv;
  logger: Logger;
  infra: ServiceInfra;
  peers?: Record<string, string> | undefined;
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
  const database = shared ?? (await openSubgraphDatabase(flagsDatabase, { url: infra.databaseUrl, dataDir: infra.dataDir }));
  const redisAvailability = new RedisAvailability();
  const pubsub = createPubSub({ redisUrl: infra.redisUrl, namespace: infra.namespace, connectionName: 'flags', availability: redisAvailability });
  const revocations = createSessionRevocations({ redisUrl: infra.redisUrl, namespace: infra.namespace, logger, sync: syncFromIdentity(env) });
  let feed: ChangeFeed | undefined;
  let scheduler: Scheduler | undefined;
  let erasures: ErasureConsumer | undefined;
  const release = async () => {
    await erasures?.close();
    await scheduler?.stop();
    await feed?.close();
    await Promise.allSettled([pubsub.close(), revocations.close()]);
    if (!shared) await database.close();
  };
  try {
    const store = createFlagStore(database.db);
    const schedules = createSchedules(database.db, store);
    const changeFeed = await startChangeFeed({ store, pubsub, logger });
    feed = changeFeed;
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
    scheduler = await startScheduler({
      schedules,
      store,
      announce,
      logger,
      intervalMs: env.FLAG_SCHEDULER_INTERVAL_MS,
      retentionMs: env.FLAG_HISTORY_RETENTION_HOURS * 3_600_000,
    });
    const activeScheduler = scheduler;
    const server = createSubgraphServer<FlagsContext>({
      module: flagsSubgraph,
      logger,
      verifier: createAccessTokenVerifier({ keys: { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations, maxLifetimeSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS }),
      context: flagsContext(services),
      // Without Redis, other replicas learn of changes from the database within their poll interval.
      readiness: { required: { database: () => database.ping() }, reported: { revocations: revocations.checkSynced }, degradable: infra.redisUrl ? { redis: redisAvailability } : {} },
      routes: { [FLAGS_FEED_PATH]: (req, res) => backendFeed.handle(req, res) },
      ...serviceHttpOptions(env),
      onClose: release,
    });
    // After the server exists (its close stops the consumer); the first pass catches up with identity's feed.
    erasures = startErasureConsumer({ subgraph: 'flags', pubsub, logger, ...erasuresFromIdentity(env), ...ledger, erase: erasure.erase });
    return {
      server,
      database,
      services,
      backendFeed,
      erasures,
      infra,
      async close() {
        // Open feeds would hold the HTTP server's drain; the scheduler must not write into a closing database.
        await activeScheduler.stop();
        backendFeed.closeAll();
        await server.close();
      },
    };
  } catch (error) {
    await release();
    throw error;
  }
}

/** How `pnpm start`, the test kit and the deployment checks start flags. */
export const flagsService: SubgraphServiceDefinition<FlagsEnv, FlagsService> = {
  name: 'flags',
  module: flagsSubgraph as SubgraphModule<never>,
  envSchema: flagsEnvSchema,
  portVariable: 'FLAGS_PORT',
  port: (env) => env.FLAGS_PORT,
  create: ({ env, logger, infra, peers }) => createFlagsService({ env, logger, infra, peers }),
};
