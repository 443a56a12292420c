import type { TestRedisServer as PrivateRedisServer } from '@voiceassist/testkit/redis-server';
import type { ServiceProcess } from './built-services.js';
import { startFailoverBalancer, type FailoverBalancer } from './failover-balancer.js';
import { startInfrastructure } from './infrastructure.js';

// The production topology on one machine, for chaos tests: every service built and run by plain
// node in its own process (a restarted one comes back on its first port, where the others look
// for it), one PostgreSQL database, a Redis of the test's own, and two conversation replicas behind a
// balancer that the router and voice reach them through.

/** Each process of the deployment; conversationA is the balancer's primary, conversationB its backup. */
export const DEPLOYED = {
  identity: { folder: 'subgraphs/identity', portVariable: 'IDENTITY_PORT' },
  flags: { folder: 'subgraphs/flags', portVariable: 'FLAGS_PORT' },
  knowledge: { folder: 'subgraphs/knowledge', portVariable: 'KNOWLEDGE_PORT' },
  voice: { folder: 'subgraphs/voice', portVariable: 'VOICE_PORT' },
  conversationA: { folder: 'subgraphs/conversation', portVariable: 'CONVERSATION_PORT' },
  conversationB: { folder: 'subgraphs/conversation', portVariable: 'CONVERSATION_PORT' },
  router: { folder: 'router', portVariable: 'ROUTER_PORT' },
} as const;

export type DeployedName = keyof typeof DEPLOYED;

export interface DeploymentOptions {
  /** PostgreSQL server URL; the deployment gets a fresh database on it. */
  databaseUrl: string;
  /** Extra environment per process. */
  env?: Partial<Record<DeployedName, Record<string, string>>>;
}

export interface Deployment {
  redis: PrivateRedisServer;
  /** The deployment's own PostgreSQL database, every service's schema in it. */
  databaseUrl: string;
  /** Base URL of each process (the same after a restart). */
  urls: Record<DeployedName, string>;
  /** The conversation replicas' balancer, as the router and voice reach them. */
  conversationUrl: string;
  /** The running process, or undefined while it is stopped. */
  process(name: DeployedName): ServiceProcess | undefined;
  /** Stops a process (SIGKILL: a crash) and waits for it to exit. */
  kill(name: DeployedName): Promise<void>;
  /** Starts a stopped process again, on the same port with the same environment. */
  start(name: DeployedName): Promise<void>;
  stop(): Promise<void>;
}

const SERVICE_TOKEN = 'chaos-suite-backend-flags-feed-secret-0123456789';

export async function startDeployment(options: DeploymentOptions): Promise<Deployment> {
  const running = new Map<DeployedName, ServiceProcess>();
  /** Port and environment each process first started with, to start it again alike. */
  const launched = new Map<DeployedName, Record<string, string>>();
  const urls = {} as Record<DeployedName, string>;
  const infrastructure = await startInfrastructure(options.databaseUrl);
  let balancer: FailoverBalancer | undefined;
  async function stop() {
    await balancer?.close();
    await infrastructure.stop();
  }

  try {
    const { services: built, database, redis } = infrastructure;
    const common = { DATABASE_URL: database.url!, REDIS_URL: redis.url };
    const graphql = (name: DeployedName) => `${urls[name]}/graphql`;
    /** Started on a port the system picks (no race for a port chosen in advance); later starts reuse it. */
    const launch = async (name: DeployedName, env: Record<string, string>) => {
      const { folder, portVariable } = DEPLOYED[name];
      const service = await built.start(folder, { ...common, ...env, ...options.env?.[name], [portVariable]: '0' }, name);
      running.set(name, service);
      urls[name] = service.url;
      launched.set(name, { ...common, ...env, ...options.env?.[name], [portVariable]: new URL(service.url).port });
    };
    const start = async (name: DeployedName) => {
      const env = launched.get(name);
      if (!env) throw new Error(`${name} was never started`);
      if (running.has(name)) throw new Error(`${name} is already running`);
      running.set(name, await built.start(DEPLOYED[name].folder, env, name));
    };

    // In dependency order: each is started with the URLs of those it calls.
    await launch('identity', {});
    const jwks = { JWKS_URL: `${urls.identity}/.well-known/jwks.json` };
    await Promise.all([launch('flags', { ...jwks, IDENTITY_URL: graphql('identity'), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN }), launch('knowledge', jwks)]);
    const conversationEnv = { ...jwks, KNOWLEDGE_URL: graphql('knowledge'), FLAGS_URL: graphql('flags'), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN };
    await Promise.all([launch('conversationA', conversationEnv), launch('conversationB', conversationEnv)]);
    balancer = await startFailoverBalancer([urls.conversationA, urls.conversationB].map((url) => Number(new URL(url).port)));
    const conversationUrl = balancer.url;
    await launch('voice', { ...jwks, CONVERSATION_URL: `${conversationUrl}/graphql` });
    await launch('router', {
      ...jwks,
      IDENTITY_URL: graphql('identity'),
      CONVERSATION_URL: `${conversationUrl}/graphql`,
      KNOWLEDGE_URL: graphql('knowledge'),
      VOICE_URL: graphql('voice'),
      FLAGS_URL: graphql('flags'),
    });

    return {
      redis,
      databaseUrl: database.url!,
      urls,
      conversationUrl,
      process: (name) => running.get(name),
      async kill(name) {
        await running.get(name)?.stop('SIGKILL');
        running.delete(name);
      },
      start,
      stop,
    };
  } catch (error) {
    await stop();
    throw error;
  }
}

/**
 * Whether a router's /health finds every subgraph serving and the revoked sessions loaded: what a
 * test waits for before its first call, now that /ready (schema loaded) no longer waits for them.
 */
export async function routerSeesEverySubgraph(routerUrl: string): Promise<boolean> {
  const response = await fetch(`${routerUrl}/health`, { signal: AbortSignal.timeout(5_000) });
  const { subgraphs = {}, revocations } = (await response.json()) as { subgraphs?: Record<string, string>; revocations?: string };
  const states = Object.values(subgraphs);
  return revocations === 'ok' && states.length > 0 && states.every((state) => state === 'ok');
}
