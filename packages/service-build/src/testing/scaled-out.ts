import { DEPLOYED } from './deployment.js';
import { startInfrastructure } from './infrastructure.js';

// The supergraph scaled out on one machine: two copies ("sides") of every service, the router
// included, each built and run by plain node, all on one PostgreSQL database and one Redis of the
// test's own. Side a's router reaches side a's subgraphs and side b's router side b's, so whatever
// one router's client sees of another's must have gone through PostgreSQL or Redis, as between
// replicas behind a Kubernetes Service.

export const SIDES = ['a', 'b'] as const;
export type Side = (typeof SIDES)[number];

/** Where each service's package is and the variable naming its port (as in the chaos deployment). */
const FOLDERS = {
  identity: DEPLOYED.identity,
  flags: DEPLOYED.flags,
  knowledge: DEPLOYED.knowledge,
  conversation: DEPLOYED.conversationA,
  voice: DEPLOYED.voice,
  router: DEPLOYED.router,
} as const;

export type ScaledService = keyof typeof FOLDERS;

export interface ScaledOut {
  /** Base URL of each service on each side. */
  urls: Record<Side, Record<ScaledService, string>>;
  stop(): Promise<void>;
}

const SERVICE_TOKEN = 'scale-out-suite-backend-flags-feed-secret-0123456789';

export async function startScaledOut(options: { databaseUrl: string; env?: Partial<Record<ScaledService, Record<string, string>>> }): Promise<ScaledOut> {
  const infrastructure = await startInfrastructure(options.databaseUrl);
  try {
    const { services: built, database, redis } = infrastructure;
    const common = { DATABASE_URL: database.url!, REDIS_URL: redis.url };
    const urls = { a: {}, b: {} } as Record<Side, Record<ScaledService, string>>;
    const launch = async (side: Side, name: ScaledService, env: Record<string, string>) => {
      const { folder, portVariable } = FOLDERS[name];
      urls[side][name] = (await built.start(folder, { ...common, ...env, ...options.env?.[name], [portVariable]: '0' }, `${name}-${side}`)).url;
    };
    const startSide = async (side: Side) => {
      const graphql = (name: ScaledService) => `${urls[side][name]}/graphql`;
      const jwks = { JWKS_URL: `${urls[side].identity}/.well-known/jwks.json` };
      await Promise.all([launch(side, 'flags', { ...jwks, IDENTITY_URL: graphql('identity'), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN }), launch(side, 'knowledge', jwks)]);
      await launch(side, 'conversation', { ...jwks, KNOWLEDGE_URL: graphql('knowledge'), FLAGS_URL: graphql('flags'), FLAGS_SERVICE_TOKEN: SERVICE_TOKEN });
      await launch(side, 'voice', { ...jwks, CONVERSATION_URL: graphql('conversation') });
      await launch(side, 'router', {
        ...jwks,
        IDENTITY_URL: graphql('identity'),
        CONVERSATION_URL: graphql('conversation'),
        KNOWLEDGE_URL: graphql('knowledge'),
        VOICE_URL: graphql('voice'),
        FLAGS_URL: graphql('flags'),
      });
    };
    // Identity a first: it creates the signing key in the database, which identity b then loads.
    await launch('a', 'identity', {});
    await launch('b', 'identity', {});
    await Promise.all(SIDES.map(startSide));
    return { urls, stop: infrastructure.stop };
  } catch (error) {
    await infrastructure.stop();
    throw error;
  }
}
