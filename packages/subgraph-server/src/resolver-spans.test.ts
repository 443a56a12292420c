import { execute, parse, subscribe } from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { allow } from '@voiceassist/auth';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@voiceassist/otlp-receiver';
import { serviceTracer, startTracing, withSpan, type Tracing } from '@voiceassist/tracing';
import { buildExecutableSubgraphSchema, type SubgraphModule } from './index.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';
// What a user would type: it must not appear in any span.
const SECRET = 'patient Jane Roe has chest pain';

const module: SubgraphModule = {
  name: 'notes',
  typeDefs: parse(`${LINK}
    type Query { note(text: String!): Note! }
    type Mutation { saveNote(text: String!): Note! }
    type Subscription { noteSaved(text: String!): Note! }
    type Note @key(fields: "id") { id: ID! text: String! words: Int! }
  `),
  resolvers: {
    Query: { note: async (_: unknown, args: { text: string }) => ({ id: 'n1', text: args.text }) },
    Mutation: { saveNote: async (_: unknown, args: { text: string }) => ({ id: 'n2', text: args.text }) },
    Subscription: {
      noteSaved: {
        subscribe: async function* (_: unknown, args: { text: string }) {
          yield { noteSaved: { id: 'n3', text: args.text } };
        },
      },
    },
    Note: {
      __resolveReference: async (reference: { id: string }) => ({ id: reference.id, text: SECRET }),
      words: (note: { text: string }) => note.text.split(' ').length,
    },
  },
  permissions: { Query: { note: allow, _entities: allow }, Mutation: { saveNote: allow }, Subscription: { noteSaved: allow }, Note: allow },
};

describe('resolver spans', () => {
  let receiver: OtlpReceiver;
  let tracing: Tracing;
  // Built before tracing starts, as a service is: the spans follow tracing as it is when a resolver runs.
  const schema = buildExecutableSubgraphSchema(module);
  const run = (query: string, variables: Record<string, unknown> = {}) => execute({ schema, document: parse(query), variableValues: variables, contextValue: { viewer: null } });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
  });
  afterAll(async () => {
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('records nothing while tracing is off, and resolvers answer as before', async () => {
    const result = await run('query($t: String!) { note(text: $t) { id text words } }', { t: SECRET });
    expect(result).toEqual({ data: { note: { id: 'n1', text: SECRET, words: 6 } } });
    expect(receiver.spans).toEqual([]);
  });

  it('spans each root field, subscription start and entity reference by type and field, under the operation, without arguments or values', async () => {
    tracing = startTracing(loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), 'voiceassist');
    const operation = serviceTracer('notes');
    const query = await withSpan(operation, 'query Note', {}, () => run('query($t: String!) { note(text: $t) { id words } }', { t: SECRET }));
    expect(query.errors).toBeUndefined();
    const mutation = await withSpan(operation, 'mutation Save', {}, () => run('mutation($t: String!) { saveNote(text: $t) { id } }', { t: SECRET }));
    expect(mutation.errors).toBeUndefined();
    const entities = await withSpan(operation, 'query Entities', {}, () =>
      run('query($r: [_Any!]!) { _entities(representations: $r) { ... on Note { text } } }', { r: [{ __typename: 'Note', id: 'n7' }, { __typename: 'Note', id: 'n8' }] }),
    );
    expect(entities.data).toEqual({ _entities: [{ text: SECRET }, { text: SECRET }] });
    const stream = await withSpan(operation, 'subscription NoteSaved', {}, () =>
      subscribe({ schema, document: parse('subscription($t: String!) { noteSaved(text: $t) { id } }'), variableValues: { t: SECRET }, contextValue: { viewer: null } }),
    );
    if (!(Symbol.asyncIterator in stream)) throw new Error(`subscription failed: ${JSON.stringify(stream.errors)}`);
    for await (const event of stream) expect(event.data).toEqual({ noteSaved: { id: 'n3' } });
    await tracing.flush();

    const parentOf = async (name: string) => (await receiver.waitForSpan((s) => s.name === name)).spanId;
    const resolved = async (name: string) => receiver.waitForSpan((s) => s.name === name);
    expect(await resolved('Query.note')).toMatchObject({
      parentSpanId: await parentOf('query Note'),
      attributes: { 'service.name': 'notes', 'graphql.parent.type': 'Query', 'graphql.field.name': 'note' },
    });
    expect((await resolved('Mutation.saveNote')).parentSpanId).toBe(await parentOf('mutation Save'));
    expect((await resolved('Subscription.noteSaved')).parentSpanId).toBe(await parentOf('subscription NoteSaved'));
    const entitiesParent = await parentOf('query Entities');
    await expect.poll(() => receiver.spans.filter((s) => s.name === 'Note.__resolveReference' && s.parentSpanId === entitiesParent).length).toBe(2);

    // Nested fields (words) and federation's own fields have no span; nothing carries the text.
    const names = new Set(receiver.spans.map((s) => s.name));
    expect([...names].filter((name) => /words|_entities|_service/.test(name))).toEqual([]);
    const texts = (span: ReceivedSpan) => [span.name, ...Object.values(span.attributes).map(String), ...span.events.flatMap((e) => [e.name, ...Object.values(e.attributes).map(String)])];
    expect(receiver.spans.flatMap(texts).filter((text) => text.includes('Jane') || text.includes('n7'))).toEqual([]);
  });
});
