import { readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { buildSubgraphSchema } from '@apollo/subgraph';
import { execute, parse, type DocumentNode, type GraphQLSchema } from 'graphql';

// The public graphql-gateways-benchmark workload (graphql-hive/graphql-gateways-benchmark): its
// supergraph, records and TestQuery are data files in ./fixtures (copied from
// shared/bench-data/gateways, 8.5 KB, so the benchmark runs wherever the repo is). The four
// subgraphs are our own, answering from the records the way the benchmark's subgraphs do.

export interface Records {
  users: Array<{ id: string; name: string; username: string; birthday: number }>;
  products: Array<{ upc: string; name: string; price: number; weight: number }>;
  inStock: Record<string, boolean>;
  reviewTexts: string[];
  reviews: Array<{ id: string; text: number; upc: string }>;
  /** Every review's author, as the reviews subgraph provides it. */
  authorId: string;
  authorUsername: string;
}

const fixture = (name: string) => readFileSync(new URL(`./fixtures/${name}`, import.meta.url), 'utf8');

export function readWorkload(): { records: Records; supergraphSdl: string; query: string } {
  return { records: JSON.parse(fixture('records.json')) as Records, supergraphSdl: fixture('supergraph.graphql'), query: fixture('query.graphql') };
}

export const SUBGRAPH_NAMES = ['accounts', 'inventory', 'products', 'reviews'] as const;
export type WorkloadSubgraph = (typeof SUBGRAPH_NAMES)[number];

/** The supergraph with every subgraph routed to `${baseUrl}/<name>`. */
export function routeSupergraph(supergraphSdl: string, baseUrl: string): string {
  return supergraphSdl.replace(/url: "http:\/\/[^/"]+\/(\w+)"/g, (_, name: string) => `url: "${baseUrl}/${name}"`);
}

const link = (imports: string[]) => `extend schema @link(url: "https://specs.apollo.dev/federation/v2.3", import: ${JSON.stringify(imports)})`;

type Review = Records['reviews'][number];
type Product = Records['products'][number];

/** Each subgraph's schema: what the supergraph's join directives say it owns. */
function subgraphSchemas(records: Records): Record<WorkloadSubgraph, GraphQLSchema> {
  const review = (r: Review) => ({ id: r.id, body: records.reviewTexts[r.text], product: { upc: r.upc } });
  // The benchmark's reviews subgraph answers User.reviews with its first two reviews, whoever the user.
  const userReviews = records.reviews.slice(0, 2).map(review);
  const productByUpc = new Map(records.products.map((p) => [p.upc, p]));
  const userById = new Map(records.users.map((u) => [u.id, u]));
  const build = (typeDefs: string, resolvers: object) => buildSubgraphSchema({ typeDefs: parse(typeDefs), resolvers: resolvers as never });
  return {
    accounts: build(
      `${link(['@key'])}
      type Query { me: User user(id: ID!): User users: [User] }
      type User @key(fields: "id") { id: ID! name: String username: String birthday: Int }`,
      {
        Query: { me: () => records.users[0], user: (_: unknown, { id }: { id: string }) => userById.get(id) ?? null, users: () => records.users },
        User: { __resolveReference: ({ id }: { id: string }) => userById.get(id) ?? null },
      },
    ),
    inventory: build(
      `${link(['@key', '@external', '@requires'])}
      type Product @key(fields: "upc") {
        upc: String!
        weight: Int @external
        price: Int @external
        inStock: Boolean
        shippingEstimate: Int @requires(fields: "price weight")
      }`,
      {
        Product: {
          __resolveReference: (ref: { upc: string; price?: number; weight?: number }) => ({ ...ref, inStock: records.inStock[ref.upc] ?? null }),
          // Free above 1000, else half the weight (integer division, as the benchmark's Rust subgraph).
          shippingEstimate: ({ price, weight }: { price?: number; weight?: number }) =>
            price === undefined || price === null ? null : price > 1000 ? 0 : weight === undefined || weight === null ? null : Math.trunc(weight / 2),
        },
      },
    ),
    products: build(
      `${link(['@key'])}
      type Query { topProducts(first: Int = 5): [Product] }
      type Product @key(fields: "upc") { upc: String! name: String price: Int weight: Int }`,
      {
        Query: { topProducts: (_: unknown, { first }: { first: number }) => records.products.slice(0, first) },
        Product: { __resolveReference: ({ upc }: { upc: string }): Product | null => productByUpc.get(upc) ?? null },
      },
    ),
    reviews: build(
      `${link(['@key', '@external', '@provides'])}
      type Review @key(fields: "id") { id: ID! body: String product: Product author: User @provides(fields: "username") }
      type User @key(fields: "id") { id: ID! username: String @external reviews: [Review] }
      type Product @key(fields: "upc") { upc: String! reviews: [Review] }`,
      {
        Review: {
          __resolveReference: ({ id }: { id: string }) => {
            const found = records.reviews.find((r) => r.id === id);
            return found ? review(found) : null;
          },
          author: () => ({ id: records.authorId, username: records.authorUsername }),
        },
        // Field resolvers, not reference data: the gateway also reaches users and products
        // inside this subgraph (a review's author and product) without an entity fetch.
        User: { reviews: () => userReviews },
        Product: { reviews: ({ upc }: { upc: string }) => records.reviews.filter((r) => r.upc === upc).map(review) },
      },
    ),
  };
}

export interface WorkloadSubgraphs {
  /** `${url}/<name>` is each subgraph's endpoint. */
  url: string;
  /** Requests answered so far, per subgraph. */
  calls: Record<WorkloadSubgraph, number>;
  close(): Promise<void>;
}

/** Distinct request bodies whose answers a subgraph keeps (the workload has a few dozen). */
const ANSWER_CACHE_SIZE = 10_000;

/**
 * The four subgraphs on one node:http server, each under its own path. An answer is computed
 * by graphql-js the first time a request body is seen and replayed for the same bytes after
 * that: a gateway sends the same few documents and representations over and over, and the
 * subgraphs (which share a core with the load generator) must not be what limits the gateway
 * under test. Every gateway gets the same subgraphs, answers and cost.
 */
export async function startWorkloadSubgraphs(records: Records, port = 0): Promise<WorkloadSubgraphs> {
  const schemas = subgraphSchemas(records);
  const calls = Object.fromEntries(SUBGRAPH_NAMES.map((name) => [name, 0])) as Record<WorkloadSubgraph, number>;
  const documents = new Map<string, DocumentNode>();
  const answers = new Map<string, Buffer>();
  const answer = async (schema: GraphQLSchema, requestBody: string): Promise<{ status: number; body: Buffer }> => {
    try {
      const body = JSON.parse(requestBody) as { query: string; variables?: Record<string, unknown>; operationName?: string };
      let document = documents.get(body.query);
      if (!document) documents.set(body.query, (document = parse(body.query)));
      const result = await execute({ schema, document, variableValues: body.variables, operationName: body.operationName });
      return { status: 200, body: Buffer.from(JSON.stringify(result)) };
    } catch (error) {
      return { status: 400, body: Buffer.from(JSON.stringify({ errors: [{ message: (error as Error).message }] })) };
    }
  };
  const server: Server = createServer((req, res) => {
    const name = req.url?.slice(1) as WorkloadSubgraph;
    const schema = schemas[name];
    if (!schema || req.method !== 'POST') {
      res.writeHead(404).end();
      return;
    }
    calls[name] += 1;
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const requestBody = Buffer.concat(chunks).toString('utf8');
      const key = `${name}\u0000${requestBody}`;
      const known = answers.get(key);
      if (known) {
        res.writeHead(200, { 'content-type': 'application/json', 'content-length': known.length }).end(known);
        return;
      }
      void answer(schema, requestBody).then(({ status, body }) => {
        if (status === 200 && answers.size < ANSWER_CACHE_SIZE) answers.set(key, body);
        res.writeHead(status, { 'content-type': 'application/json', 'content-length': body.length }).end(body);
      });
    });
  });
  server.keepAliveTimeout = 60_000;
  await new Promise<void>((resolve) => server.listen(port, '127.0.0.1', resolve));
  const { port: bound } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${bound}`,
    calls,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/**
 * TestQuery's right answer, computed from the records apart from any gateway: users and top
 * products with their reviews, each review's product and author, and their reviews in turn.
 */
export function expectedTestQueryResponse(records: Records): { data: unknown } {
  const productByUpc = new Map(records.products.map((p) => [p.upc, p]));
  const userById = new Map(records.users.map((u) => [u.id, u]));
  const user = (id: string, username: string) => ({ id, username, name: userById.get(id)?.name ?? null });
  const reviewFields = (r: Review) => ({ id: r.id, body: records.reviewTexts[r.text] });
  const product = (upc: string) => {
    const p = productByUpc.get(upc)!;
    return { inStock: records.inStock[upc] ?? null, name: p.name, price: p.price, shippingEstimate: p.price > 1000 ? 0 : Math.trunc(p.weight / 2), upc, weight: p.weight };
  };
  const userReviews = records.reviews.slice(0, 2);
  const authorWithReviews = () => ({
    ...user(records.authorId, records.authorUsername),
    reviews: userReviews.map((r) => ({ ...reviewFields(r), product: product(r.upc) })),
  });
  const productReviews = (upc: string) => records.reviews.filter((r) => r.upc === upc).map((r) => ({ ...reviewFields(r), author: authorWithReviews() }));
  return {
    data: {
      users: records.users.map((u) => ({
        ...user(u.id, u.username),
        reviews: userReviews.map((r) => ({ ...reviewFields(r), product: { ...product(r.upc), reviews: productReviews(r.upc) } })),
      })),
      topProducts: records.products.slice(0, 5).map((p) => ({ ...product(p.upc), reviews: productReviews(p.upc) })),
    },
  };
}
