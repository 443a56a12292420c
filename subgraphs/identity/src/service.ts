import { REVOCATIONS_PATH, type SessionRevocations } from '@voiceassist/auth';
import { openSubgraphDatabase, type DatabaseHandle } from '@voiceassist/database';
import { ERASURES_PATH } from '@voiceassist/erasure';
import { sendJson } from '@voiceassist/http-io';
import { loggableError } from '@voiceassist/logging';
import { createAuditChainMetrics } from '@voiceassist/metrics';
import { createMemoryRateLimiter, createRedisRateLimiter } from '@voiceassist/rate-limit';
import { createSubgraphServer, defineSubgraphService, subgraphModule, type CreateServiceOptions, type SubgraphService } from '@voiceassist/subgraph-server';
import { withSubgraphResources } from '@voiceassist/subgraph-server/resources';
import { createAccessTokenIssuer } from './access-tokens.js';
import { createAccounts } from './accounts.js';
import { createAuditLog, type AuditLog } from './audit-log.js';
import { identityContext, type IdentityContext } from './context.js';
import { exportIdentityData } from './data-export.js';
import { identityDatabase } from './db/database.js';
import { identityEnvSchema, type IdentityEnv } from './env.js';
import { createErasures, erasuresRoute, type Erasures } from './erasures.js';
import { permissions } from './permissions.js';
import { createRefreshSessions } from './refresh-sessions.js';
import { createRevokedSessions, revocationsRoute } from './revoked-sessions.js';
import { resolvers } from './resolvers/index.js';
import { createSigningKeys, type SigningKeys } from './signing-keys.js';
import { createAuthThrottle } from './throttle.js';
import { createUserAdmin } from './user-admin.js';
import { createUsers } from './users.js';

export { identityEnvSchema, type IdentityEnv } from './env.js';
export type { IdentityContext } from './context.js';


export const identitySubgraph = subgraphModule<IdentityContext>('identity', new URL('./schema.graphql', import.meta.url), { resolvers, permissions });

export const JWKS_PATH = '/.well-known/jwks.json';

export interface IdentityService extends SubgraphService {
  database: DatabaseHandle;
  keys: SigningKeys;
  revocations: SessionRevocations;
  erasures: Erasures;
  audit: AuditLog;
  /** Stops the server and releases the database, Redis and the revocation store. */
  close(): Promise<void>;
}

export type IdentityServiceOptions = CreateServiceOptions<IdentityEnv>;

/** Opens the database (migrating it), ensures a signing key and the seed admin, and builds the server; call listen() on it. */
export async function createIdentityService({ env, logger, infra }: IdentityServiceOptions): Promise<IdentityService> {
  if (Boolean(env.SEED_SUPERADMIN_EMAIL) !== Boolean(env.SEED_SUPERADMIN_PASSWORD)) {
    throw new Error('Set both SEED_SUPERADMIN_EMAIL and SEED_SUPERADMIN_PASSWORD, or neither');
  }
  const database = await openSubgraphDatabase(identityDatabase, { url: infra.databaseUrl, dataDir: infra.dataDir });
  const revokedSessions = createRevokedSessions({ db: database.db, keepSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS });
  // Identity syncs revocations from its own database, the source of truth, so it is synced before it listens.
  const revocationSync = { source: (since?: number) => revokedSessions.snapshot(since), intervalMs: env.REVOCATIONS_SYNC_INTERVAL_MS };
  const resources = { name: 'identity', env, logger, infra, database: { handle: database, owned: true }, revocationSync };
  return withSubgraphResources(resources, async ({ pubsub, redis, revocations, onRelease, serverOptions }) => {
    const limiter = redis ? createRedisRateLimiter(redis) : createMemoryRateLimiter();
    const { db } = database;
    const keys = createSigningKeys({ db, accessTokenTtlSeconds: env.ACCESS_TOKEN_TTL_SECONDS, envPrivateKeyPem: env.IDENTITY_SIGNING_KEY });
    await keys.init();
    const auditMetrics = createAuditChainMetrics();
    const audit = createAuditLog(db, auditMetrics);
    await audit.init();
    // Checked on a schedule too, so a chain edited in the database raises the alert without an admin asking.
    if (env.AUDIT_VERIFY_INTERVAL_SECONDS > 0) {
      const auditCheck = setInterval(() => {
        audit
          .verify()
          .then((result) => {
            if (!result.valid) logger.error({ firstBrokenId: result.firstBrokenId, checked: result.checked }, 'audit chain broken');
          })
          .catch((error: unknown) => logger.warn({ error: loggableError(error) }, 'audit chain verification failed'));
      }, env.AUDIT_VERIFY_INTERVAL_SECONDS * 1000);
      auditCheck.unref();
      onRelease(() => clearInterval(auditCheck));
    }
    const erasures = createErasures({ db, audit, pubsub, logger, subgraphs: env.ERASURE_SUBGRAPHS });
    onRelease(() => erasures.close());
    erasures.listen();
    await revocations.sync();
    const sessions = createRefreshSessions({
      revocations,
      revokedSessions,
      refreshTtlSeconds: env.REFRESH_TOKEN_TTL_SECONDS,
      revocationKeepSeconds: env.ACCESS_TOKEN_MAX_LIFETIME_SECONDS,
    });
    const tokens = createAccessTokenIssuer({ keys, issuer: env.AUTH_ISSUER, audience: env.AUTH_AUDIENCE, ttlSeconds: env.ACCESS_TOKEN_TTL_SECONDS });
    const throttle = createAuthThrottle(limiter, env.AUTH_THROTTLE_PER_MINUTE);
    const accounts = createAccounts({ db, audit, sessions, tokens, throttle, logger });
    if (env.SEED_SUPERADMIN_EMAIL && env.SEED_SUPERADMIN_PASSWORD) {
      const seeded = await accounts.seedSuperadmin(env.SEED_SUPERADMIN_EMAIL, env.SEED_SUPERADMIN_PASSWORD);
      if (seeded) logger.info({ userId: seeded.id }, 'seeded SUPERADMIN from env');
    }
    const services = {
      accounts,
      admin: createUserAdmin({ db, audit, sessions, keys, erasures, throttle }),
      users: createUsers(db),
      audit,
      erasures,
      exportData: (userId: string) => exportIdentityData(db, audit, userId),
    };
    const server = createSubgraphServer<IdentityContext>({
      module: identitySubgraph,
      context: identityContext(services),
      // Our own tokens are checked against our own keys: no HTTP round trip to ourselves.
      // Without Redis, auth throttles count per instance.
      ...serverOptions({ resolver: keys.resolver }),
      routes: {
        [JWKS_PATH]: async (_req, res) => sendJson(res, 200, await keys.jwks(), { 'cache-control': 'public, max-age=60' }),
        [REVOCATIONS_PATH]: revocationsRoute(revokedSessions),
        [ERASURES_PATH]: erasuresRoute(erasures),
      },
      metrics: auditMetrics.metrics,
    });
    return { server, database, keys, revocations, erasures, audit, close: () => server.close() };
  });
}

/** How `pnpm start`, the test kit and the deployment checks start identity. */
export const identityService = defineSubgraphService({
  module: identitySubgraph,
  envSchema: identityEnvSchema,
  portVariable: 'IDENTITY_PORT',
  create: ({ env, logger, infra }) => createIdentityService({ env, logger, infra }),
});
