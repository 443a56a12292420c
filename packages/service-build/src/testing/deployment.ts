import { createTestDatabase, type TestDatabase } from '@voiceassist/testkit/database';
import { buildServices, freePort, type BuiltServices, type ServiceProcess } from './built-services.js';
import { startFailoverBalancer, type FailoverBalancer } from './failover-balancer.js';
import { startPrivateRedisServer, type PrivateRedisServer } from './redis-server.js';

// The production topology on one machine, for chaos tests: every service built and run by plain
// node in its own process on fixed ports (so a restarted one comes back where the others look for
// it), one PostgreSQL database, a Redis of the test's own, and two conversation replicas behind a
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
  const names = Object.keys(DEPLOYED) as DeployedName[];
  const ports = Object.fromEntries(await Promise.all(names.map(async (name) => [name, await freePort()] as const))) as Record<DeployedName, number>;
  const balancerPort = await freePort();
  const urls = Object.fromEntries(names.map((name) => [name, `http://127.0.0.1:${ports[name]}`])) as Record<DeployedName, string>;
  const conversationUrl = `http://127.0.0.1:${balancerPort}`;

  const running = new Map<DeployedName, ServiceProcess>();
  let services: BuiltServices | undefined;
  let database: TestDatabase | undefined;
  let redis: PrivateRedisServer | undefined;
  let balancer: FailoverBalancer | undefined;
  async function stop() {
    await services?.close();
    await balancer?.close();
    await redis?.stop();
    await database?.drop();
  }

  try {
    [redis, services, database] = await Promise.all([startPrivateRedisServer(), buildServices(), createTestDatabase(options.databaseUrl)]);
    balancer = await startFailoverBalancer(balancerPort, [ports.conversationA, ports.conversationB]);
    const common = { DATABASE_URL: database.url!, REDIS_URL: redis.url, JWKS_URL: `${urls.identity}/.well-known/jwks.json` };
    const graphql = (url: string) => `${url}/graphql`;
    const conversationEnv = { KNOWLEDGE_URL: graphql(urls.knowledge), FLAGS_URL: graphql(urls.flags), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN };
    const env: Record<DeployedName, Record<string, string>> = {
      identity: {},
      flags: { IDENTITY_URL: graphql(urls.identity), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN },
      knowledge: {},
      voice: { CONVERSATION_URL: graphql(conversationUrl) },
      conversationA: conversationEnv,
      conversationB: conversationEnv,
      router: {
        IDENTITY_URL: graphql(urls.identity),
        CONVERSATION_URL: graphql(conversationUrl),
        KNOWLEDGE_URL: graphql(urls.knowledge),
        VOICE_URL: graphql(urls.voice),
        FLAGS_URL: graphql(urls.flags),
      },
    };
    const built = services;
    const start = async (name: DeployedName) => {
      if (running.has(name)) throw new Error(`${name} is already running`);
      const { folder, portVariable } = DEPLOYED[name];
      running.set(name, await built.start(folder, { ...common, ...env[name], ...options.env?.[name], [portVariable]: String(ports[name]) }, name));
    };
    // Identity first: the others fetch its JWKS; the router last, in front of the rest.
    await start('identity');
    await Promise.all(names.filter((name) => name !== 'identity' && name !== 'router').map(start));
    await start('router');

    return {
      redis,
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
