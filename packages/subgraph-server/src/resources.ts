import { createAccessTokenVerifier, createSessionRevocations, syncFromIdentity, type RevocationSync, type SessionRevocations, type VerifierOptions } from '@voiceassist/auth';
import { openSubgraphDatabase, type DatabaseHandle, type SubgraphDatabase } from '@voiceassist/database';
import { erasuresFromIdentity, startErasureConsumer, type ErasureConsumer, type ErasureConsumerOptions } from '@voiceassist/erasure';
import { serviceHttpOptions } from '@voiceassist/service-endpoints';
import type { Logger } from '@voiceassist/logging';
import { createPubSub, type PubSub } from '@voiceassist/pubsub';
import { createRedis, RedisAvailability, type Redis } from '@voiceassist/redis';
import type { RequestContext, ServiceInfra, SubgraphServerOptions, SubgraphService } from './index.js';
import type { CommonEnv } from './run.js';

export interface SubgraphResourcesOptions {
  /** The subgraph's name: names its Redis connections and its erasure confirmations. */
  name: string;
  env: CommonEnv;
  logger: Logger;
  infra: ServiceInfra;
  /**
   * Its database, opened and migrated here; or one already open: `owned` ones are closed with
   * the rest, others (shared by replicas in one process) are left open.
   */
  database: SubgraphDatabase | { handle: DatabaseHandle; owned: boolean };
  /** Called with every SQL statement sent (tests count queries). */
  onQuery?: (query: string) => void;
  /** Whether it keeps a Redis client of its own beside pub/sub (caches, rate limits); false when pub/sub is all it needs. */
  redis?: boolean;
  /** Where revocations sync from; identity's `/revocations` by default (identity reads its own database). */
  revocationSync?: RevocationSync;
}

/**
 * What every subgraph opens before its own parts, and the order it all closes in: the database,
 * pub/sub, Redis and the revocation store; the verifier, readiness and HTTP options every
 * server takes; and the erasure consumer.
 */
export interface SubgraphResources {
  database: DatabaseHandle;
  pubsub: PubSub;
  /** Undefined without REDIS_URL (or when not asked for): callers fall back to per-instance memory. */
  redis: Redis | undefined;
  revocations: SessionRevocations;
  /**
   * Adds a release step. Steps run in the order added (stop what writes first), then the shared
   * clients close together, then the database.
   */
  onRelease(step: () => unknown): void;
  /** Closes alongside pub/sub, Redis and the revocation store (independent clients). */
  onReleaseTogether(step: () => Promise<unknown> | undefined): void;
  release(): Promise<void>;
  /** The parts of createSubgraphServer's options every subgraph passes the same way; `keys` replaces identity's JWKS (identity itself). */
  serverOptions<TContext extends RequestContext>(keys?: VerifierOptions['keys']): Omit<SubgraphServerOptions<TContext>, 'module' | 'context'>;
  /** Starts erasing people identity deleted; call after the server exists (its close stops the consumer first). */
  startErasures(ledger: Pick<ErasureConsumerOptions, 'isErased' | 'markErased'>, erase: (userId: string) => Promise<void>): ErasureConsumer;
}

/** A running subgraph that keeps data about people: its server, its database and the consumer erasing those identity deleted. */
export interface ErasingSubgraphService extends SubgraphService {
  database: DatabaseHandle;
  /** Erases people identity deleted (`sync()` runs a pass now). */
  erasures: ErasureConsumer;
}

/** Opens the resources every subgraph shares, then runs `build`; if `build` throws, everything opened is released. */
export async function withSubgraphResources<T>(options: SubgraphResourcesOptions, build: (resources: SubgraphResources) => Promise<T>): Promise<T> {
  const { name, env, logger, infra } = options;
  const given = 'handle' in options.database ? options.database : undefined;
  const database =
    given?.handle ?? (await openSubgraphDatabase(options.database as SubgraphDatabase, { url: infra.databaseUrl, dataDir: infra.dataDir, ...(options.onQuery ? { onQuery: options.onQuery } : {}) }));
  const revocations = createSessionRevocations({ redisUrl: infra.redisUrl, namespace: infra.namespace, logger, sync: options.revocationSync ?? syncFromIdentity(env) });
  const redisAvailability = new RedisAvailability();
  const pubsub = createPubSub({ redisUrl: infra.redisUrl, namespace: infra.namespace, connectionName: name, availability: redisAvailability });
  const degradable: Record<string, RedisAvailability> = infra.redisUrl ? { redis: redisAvailability } : {};
  const steps: Array<() => unknown> = [];
  const together: Array<() => Promise<unknown> | undefined> = [];
  let redis: Redis | undefined;
  const release = async () => {
    for (const step of steps) await step();
    await Promise.allSettled([revocations.close(), pubsub.close(), redis?.quit(), ...together.map((step) => step())]);
    if (given?.owned !== false) await database.close();
  };
  try {
    if (infra.redisUrl && options.redis !== false) {
      redis = createRedis({ url: infra.redisUrl, keyPrefix: infra.namespace ? `${infra.namespace}:` : '', connectionName: name, availability: redisAvailability });
    }
    return await build({
      database,
      pubsub,
      redis,
      revocations,
      onRelease: (step) => void steps.push(step),
      onReleaseTogether: (step) => void together.push(step),
      release,
      serverOptions: (keys) => ({
        logger,
        verifier: createAccessTokenVerifier({ keys: keys ?? { jwksUrl: env.JWKS_URL }, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, revocations, maxLifetimeSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS }),
        // Without Redis, each subgraph's documented fallback (per-instance limits, caches, events) applies.
        readiness: { required: { database: () => database.ping() }, reported: { revocations: revocations.checkSynced }, degradable },
        ...serviceHttpOptions(env),
        onClose: release,
      }),
      startErasures(ledger, erase) {
        const consumer = startErasureConsumer({ subgraph: name, pubsub, logger, ...erasuresFromIdentity(env), ...ledger, erase });
        // Before anything it erases from closes.
        steps.unshift(() => consumer.close());
        return consumer;
      },
    });
  } catch (error) {
    await release();
    throw error;
  }
}
