// Small subgraphs and a token issuer for router tests and benchmarks, so router behaviour is
// checked apart from any domain subgraph. Not used by production code.
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { GraphQLError, parse } from 'graphql';
import { allow, isAuthenticated, type AccessTokenVerifier } from '@voiceassist/auth';
import { testRouterEngine } from '@voiceassist/testkit/env';
import { createLogger } from '@voiceassist/logging';
import { createPubSub } from '@voiceassist/pubsub';
import { createSubgraphServer, type RequestContext, type SubgraphModule, type SubgraphServer } from '@voiceassist/subgraph-server';
import { composeSupergraph } from '@voiceassist/supergraph-composition';
import { createRouter, type Router, type RouterOptions } from '../src/router.js';
import type { TestIssuer } from './issuer.js';

export { TestIssuer } from './issuer.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

/** Counts live subscriptions on the ticker subgraph, so tests see upstream cleanup. */
export const tickerStats = { active: 0 };

export interface Tick {
  n: number;
  /** When the event was published, in epoch ms with sub-ms precision: comparable across processes. */
  sentAt: number;
  item: { id: string };
  padding: string | null;
}

/** Emits numbered ticks; `Item` entities are completed by the catalog subgraph. */
export const tickerModule: SubgraphModule<RequestContext> = {
  name: 'ticker',
  typeDefs: parse(`${LINK}
    type Query { tickerPing: String! }
    type Mutation { shout(text: String!): String! }
    type Subscription {
      ticks(count: Int!, intervalMs: Int! = 0, paddingBytes: Int! = 0): Tick!
      privateTicks(count: Int!, intervalMs: Int! = 0): Tick!
      broadcast(topic: String!): Tick!
    }
    type Tick { n: Int! sentAt: Float! item: Item! padding: String }
    type Item @key(fields: "id") { id: ID! }
  `),
  resolvers: {
    Query: { tickerPing: () => 'pong' },
    Mutation: { shout: (_: unknown, { text }: { text: string }) => text.toUpperCase() },
    Subscription: {
      ticks: {
        subscribe: (_: unknown, args: { count: number; intervalMs: number; paddingBytes: number }) => ticks(args),
      },
      privateTicks: {
        subscribe: (_: unknown, args: { count: number; intervalMs: number }, ctx: RequestContext) => {
          if (!ctx.viewer) throw new GraphQLError('Authentication required', { extensions: { code: 'UNAUTHENTICATED' } });
          return ticks({ ...args, paddingBytes: 0 });
        },
      },
      broadcast: {
        subscribe: (_: unknown, { topic }: { topic: string }) => broadcasts(topic),
      },
    },
  },
  permissions: {
    Query: { tickerPing: allow },
    Mutation: { shout: allow },
    Subscription: { ticks: allow, privateTicks: isAuthenticated, broadcast: allow },
    Tick: allow,
    Item: allow,
  },
};

async function* ticks({ count, intervalMs, paddingBytes }: { count: number; intervalMs: number; paddingBytes: number }) {
  tickerStats.active += 1;
  try {
    const padding = paddingBytes ? 'x'.repeat(paddingBytes) : null;
    for (let n = 0; n < count; n++) {
      if (intervalMs) await sleep(intervalMs);
      const tick = { n, sentAt: performance.timeOrigin + performance.now(), item: { id: `item-${n}` }, padding };
      yield { ticks: tick, privateTicks: tick };
    }
  } finally {
    tickerStats.active -= 1;
  }
}

/** Topic-driven events, for benchmarks: `publishTick` reaches every subscriber of a topic. */
const bus = createPubSub({ namespace: `ticker-${randomUUID()}` });
export function publishTick(topic: string, n: number): Promise<void> {
  return bus.publish(topic, { n, sentAt: performance.timeOrigin + performance.now(), item: { id: `item-${n}` }, padding: null } satisfies Tick);
}
async function* broadcasts(topic: string) {
  tickerStats.active += 1;
  const events = bus.subscribe<Tick>(topic);
  try {
    for await (const tick of events) yield { broadcast: tick };
  } finally {
    tickerStats.active -= 1;
    await events.return?.();
  }
}

export const catalogModule: SubgraphModule<RequestContext> = {
  name: 'catalog',
  typeDefs: parse(`${LINK}
    type Query { item(id: ID!): Item }
    type Item @key(fields: "id") { id: ID! name: String! }
  `),
  resolvers: {
    Query: { item: (_: unknown, { id }: { id: string }) => ({ id }) },
    Item: {
      __resolveReference: (ref: { id: string }) => ({ id: ref.id }),
      name: (item: { id: string }) => `Item ${item.id.replace('item-', '#')}`,
    },
  },
  permissions: { Query: { item: allow }, Item: allow },
};

export async function startTestSubgraph(module: SubgraphModule<RequestContext>, verifier: AccessTokenVerifier): Promise<{ server: SubgraphServer; url: string }> {
  const server = createSubgraphServer({ module, logger: createLogger({ service: module.name, level: 'silent' }), verifier, context: (base) => base });
  const { url } = await server.listen(0, '127.0.0.1');
  return { server, url };
}

/** The ticker and catalog subgraphs behind a router that trusts `issuer`'s tokens. */
export async function startTickerRouter(issuer: TestIssuer, options: Partial<RouterOptions> = {}): Promise<{ ticker: { server: SubgraphServer; url: string }; catalog: { server: SubgraphServer; url: string }; router: Router }> {
  const ticker = await startTestSubgraph(tickerModule, issuer.verifier);
  const catalog = await startTestSubgraph(catalogModule, issuer.verifier);
  const supergraphSdl = composeSupergraph([
    { name: 'ticker', url: `${ticker.url}/graphql`, typeDefs: tickerModule.typeDefs },
    { name: 'catalog', url: `${catalog.url}/graphql`, typeDefs: catalogModule.typeDefs },
  ]);
  const router = createRouter({
    supergraphSdl,
    verifier: issuer.verifier,
    revocations: issuer.revocations,
    logger: createLogger({ service: 'router', level: 'silent' }),
    ...testRouterEngine,
    ...options,
  });
  return { ticker, catalog, router };
}
