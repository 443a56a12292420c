import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  Kind,
  executeSync,
  getNamedType,
  print,
  visit,
  type ASTNode,
  type DocumentNode,
  type FragmentDefinitionNode,
  isLeafType,
  isNonNullType,
  isObjectType,
  parse,
  validate,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type OperationDefinitionNode,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, graphqlRequest, testEnv, type GraphQLResponse } from '@voiceassist/testkit';
import { createTestRouter, startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { prng } from '@voiceassist/testkit/prng';
import { waitUntil } from '@voiceassist/testkit/wait';
import type { Router } from '@voiceassist/router';
import { SubscriptionPlanner } from '@voiceassist/router/subscriptions/planner';

// The engine against Apollo Gateway over the same running subgraphs: every committed client
// operation and a few hundred generated ones must come back the same, byte for byte (data,
// errors, key order), from the engine with Hive's planner and with Apollo's.

const PASSWORD = 'violet kettle harbour';
const operationsDir = fileURLToPath(new URL('../../../schema/operations/', import.meta.url));

let supergraph: TestSupergraph;
let apiSchema: GraphQLSchema;
const engines: Array<{ name: string; router: Router; url: string }> = [];
const tokens: Record<'admin' | 'member', string> = { admin: '', member: '' };
const ids: Record<string, string> = {};

type Body = GraphQLResponse['body'];

/** Errors of parallel fetches arrive in any order, with either router: compared as a set. */
function canonical(body: Body): string {
  const errors = body.errors?.map((error) => JSON.stringify(error)).sort();
  return withoutClockReadings(JSON.stringify({ ...body, ...(errors ? { errors } : {}) }));
}

const DAY_MS = 86_400_000;
const ISO_TIMESTAMP = /"(\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z)"/g;

/**
 * Values a resolver reads from its own clock (feedbackSummary's default window ends now and starts
 * 30 days earlier) differ by the milliseconds between the two requests, whichever engine asks:
 * timestamps within two minutes of now's time of day, on any day, compare as equal.
 */
function withoutClockReadings(json: string): string {
  const now = Date.now();
  return json.replace(ISO_TIMESTAMP, (quoted, iso: string) => {
    const offset = (((Date.parse(iso) - now) % DAY_MS) + DAY_MS) % DAY_MS;
    return Math.min(offset, DAY_MS - offset) < 120_000 ? '"<clock>"' : quoted;
  });
}

/** Objects with their keys sorted: equal when only key order differs. */
function sortedKeys(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(sortedKeys);
  if (!value || typeof value !== 'object') return value;
  return Object.fromEntries(Object.keys(value).sort().map((key) => [key, sortedKeys((value as Record<string, unknown>)[key])]));
}

/**
 * Where the engine and Apollo Gateway differ and the engine is right, the rule it follows:
 * undefined when no rule explains the difference.
 */
function ruleExplaining(query: string, variables: Record<string, unknown>, engine: Body, apollo: Body): string | undefined {
  if (JSON.stringify(sortedKeys(engine.data)) !== JSON.stringify(sortedKeys(apollo.data))) return undefined;
  const rules: string[] = [];
  if (JSON.stringify(engine.data) !== JSON.stringify(apollo.data)) {
    // GraphQL spec, CollectFields (§6.3.2): response keys in the order fields first appear in
    // the operation, @skip/@include applied before collecting. graphql-js execution is the oracle:
    // run over the engine's own data, it must give the engine's bytes.
    const oracle = executeSync({
      schema: apiSchema,
      document: parse(query),
      variableValues: variables,
      rootValue: engine.data,
      fieldResolver: (source, _args, _context, info) => (source as Record<string, unknown>)[info.path.key as string],
    });
    if (JSON.stringify(oracle.data) !== JSON.stringify(engine.data)) return undefined;
    rules.push('CollectFields order (graphql-js agrees with the engine)');
  }
  const apolloErrors = new Set((apollo.errors ?? []).map((e) => JSON.stringify(e)));
  const engineErrors = (engine.errors ?? []).map((e) => JSON.stringify(e));
  const withoutPath = (errors: Body['errors']) => JSON.stringify((errors ?? []).map(({ path: _path, ...rest }) => JSON.stringify(rest)).sort());
  const engineOnlyAt = (engine.errors ?? []).every((e) => e.path?.every((key, i) => i > 0 || typeof key === 'string'));
  if ([...apolloErrors].some((e) => !engineErrors.includes(e))) {
    // Which of several failing fields of one subgraph fetch the subgraph names depends on the
    // operation the planner wrote for it (Hive's and Apollo's order fields differently): the
    // same error, data equally null, reported at another of the fields that failed.
    if (withoutPath(engine.errors) !== withoutPath(apollo.errors) || !engineOnlyAt || engine.data !== null) return undefined;
    rules.push('same subgraph error at another failed field of its fetch');
    return rules.join(', ');
  }
  const extra = (engine.errors ?? []).filter((e) => !apolloErrors.has(JSON.stringify(e)));
  if (extra.length > 0) {
    // GraphQL spec, Errors (§7.1.2): each field that failed has its error at its own path. One
    // entity in two places of the response, failing, fails in both (Apollo reports one).
    const sameErrorElsewhere = extra.every((e) => (apollo.errors ?? []).some((a) => a.message === e.message && JSON.stringify(a.extensions) === JSON.stringify(e.extensions)));
    if (!sameErrorElsewhere) return undefined;
    rules.push('one error per failed place');
  }
  return rules.length > 0 ? rules.join(', ') : undefined;
}

const explained = new Map<string, number>();

async function compare(query: string, variables: Record<string, unknown>, token: string | undefined): Promise<{ found: string[]; reference: Body }> {
  const reference = await supergraph.request(query, variables, { token });
  const found: string[] = [];
  for (const engine of engines) {
    const answer = await graphqlRequest(engine.url, query, variables, { token });
    if (answer.status !== reference.status || canonical(answer.body) !== canonical(reference.body)) {
      const rule = answer.status === reference.status ? ruleExplaining(query, variables, answer.body, reference.body) : undefined;
      if (rule) {
        explained.set(`${engine.name}: ${rule}`, (explained.get(`${engine.name}: ${rule}`) ?? 0) + 1);
        continue;
      }
      found.push(`${engine.name}: ${answer.status} ${JSON.stringify(answer.body).slice(0, 600)}\n   apollo: ${reference.status} ${JSON.stringify(reference.body).slice(0, 600)}`);
    }
  }
  return { found, reference: reference.body };
}

beforeAll(async () => {
  supergraph = await startSupergraph({
    env: { identity: { AUTH_THROTTLE_PER_MINUTE: '1000' } },
    // The reference is Apollo Gateway whatever engine the suite's routers run on.
    router: { engine: 'apollo' },
  });
  apiSchema = new SubscriptionPlanner(supergraph.target.supergraphSdl).graphqlApiSchema;
  for (const [name, queryPlanner] of [['native+hive', 'hive'], ['native+apollo', 'apollo']] as const) {
    const router = createTestRouter(supergraph.target, { router: { engine: 'native', queryPlanner } });
    const { url } = await router.listen(0, '127.0.0.1');
    engines.push({ name, router, url: `${url}/graphql` });
  }
  const register = `mutation ($input: RegisterInput!) { register(input: $input) { accessToken user { id } } }`;
  const admin = dataOf(await supergraph.request<{ register: { accessToken: string; user: { id: string } } }>(register, { input: { email: 'admin@example.org', password: PASSWORD, displayName: 'Admin' } }));
  const member = dataOf(await supergraph.request<{ register: { accessToken: string; user: { id: string } } }>(register, { input: { email: 'member@example.org', password: PASSWORD, displayName: 'Member' } }));
  tokens.admin = admin.register.accessToken;
  tokens.member = member.register.accessToken;
  ids.adminId = admin.register.user.id;
  ids.memberId = member.register.user.id;
  const asAdmin = { token: tokens.admin };
  for (const title of ['Dosage questions', 'Shift handover']) {
    const created = dataOf(await supergraph.request<{ createConversation: { id: string } }>('mutation ($t: String) { createConversation(title: $t) { id } }', { t: title }, asAdmin));
    ids.conversationId ??= created.createConversation.id;
  }
  const sent = await supergraph.request<{ sendMessage: { userMessage: { id: string } } }>(
    'mutation ($c: ID!) { sendMessage(conversationId: $c, content: "What is the usual adult dose of paracetamol?", useKnowledge: false) { userMessage { id } } }',
    { c: ids.conversationId },
    asAdmin,
  );
  ids.messageId = sent.body.data?.sendMessage.userMessage.id ?? '';
  // The reply streams in the background: compared while it streams, an engine asked later sees more of it.
  await waitUntil(async () => {
    const seen = await supergraph.request<{ conversation: { messages: { edges: Array<{ node: { status: string } }> } } }>(
      'query ($c: ID!) { conversation(id: $c) { messages(first: 5) { edges { node { status } } } } }',
      { c: ids.conversationId },
      asAdmin,
    );
    const statuses = dataOf(seen).conversation.messages.edges.map((edge) => edge.node.status);
    return statuses.length === 2 && !statuses.includes('STREAMING');
  }, 30_000);
  for (const key of ['diff.one', 'diff.two']) {
    dataOf(await supergraph.request('mutation ($input: CreateFlagInput!) { createFlag(input: $input) { key } }', { input: { key, visibility: 'ADMIN', enabled: key === 'diff.one' } }, asAdmin));
  }
  const document = await supergraph.request<{ ingestDocument: { id: string } }>(
    'mutation ($input: IngestDocumentInput!) { ingestDocument(input: $input) { id } }',
    { input: { title: 'Paracetamol', mimeType: 'text/plain', text: 'Paracetamol: adults take 500 mg to 1 g every 4 to 6 hours, at most 4 g a day.' } },
    asAdmin,
  );
  ids.documentId = document.body.data?.ingestDocument.id ?? '';
}, 180_000);

afterAll(async () => {
  for (const engine of engines) await engine.router.close();
  await supergraph?.stop();
});

/** Values for the committed operations' variables, by name. */
function variablesFor(operation: OperationDefinitionNode): Record<string, unknown> {
  const known: Record<string, unknown> = {
    first: 5,
    id: ids.conversationId,
    conversationId: ids.conversationId,
    keys: ['diff.one', 'diff.two'],
    key: 'diff.one',
    query: 'paracetamol dose',
    limit: 3,
    archived: false,
  };
  const variables: Record<string, unknown> = {};
  for (const definition of operation.variableDefinitions ?? []) {
    const name = definition.variable.name.value;
    if (name in known) variables[name] = known[name];
  }
  if (operation.name?.value === 'Document') variables.id = ids.documentId;
  return variables;
}

/** One operation of a document with the fragments it uses, as a client sends it. */
function standalone(document: DocumentNode, operation: OperationDefinitionNode): string {
  const fragments = new Map(document.definitions.filter((d): d is FragmentDefinitionNode => d.kind === Kind.FRAGMENT_DEFINITION).map((d) => [d.name.value, d]));
  const used = new Map<string, FragmentDefinitionNode>();
  const collect = (node: ASTNode) =>
    visit(node, {
      FragmentSpread(spread) {
        const fragment = fragments.get(spread.name.value);
        if (fragment && !used.has(fragment.name.value)) {
          used.set(fragment.name.value, fragment);
          collect(fragment);
        }
      },
    });
  collect(operation);
  return [operation, ...used.values()].map((definition) => print(definition)).join('\n\n');
}

describe('the engine answers as Apollo Gateway does', () => {
  it('for every query in schema/operations, as an admin, a member and anonymously', async () => {
    let compared = 0;
    const failures: string[] = [];
    for (const file of readdirSync(operationsDir).filter((f) => f.endsWith('.graphql'))) {
      const document = parse(readFileSync(operationsDir + file, 'utf8'));
      for (const operation of document.definitions) {
        if (operation.kind !== Kind.OPERATION_DEFINITION || operation.operation !== 'query') continue;
        // MessageSpeech synthesises audio per message: compared once, as its owner.
        const callers = operation.name?.value === 'MessageSpeech' ? [tokens.admin] : [tokens.admin, tokens.member, undefined];
        for (const token of callers) {
          const { found } = await compare(standalone(document, operation), variablesFor(operation), token);
          compared += 1;
          failures.push(...found.map((f) => `${operation.name?.value}: ${f}`));
        }
      }
    }
    expect(compared).toBeGreaterThan(30);
    expect(failures).toEqual([]);
  }, 300_000);

  it('for generated operations: fragments, aliases, __typename, directives, errors and nulls', async () => {
    const seed = testEnv.PROPERTY_TEST_SEED ?? Math.floor(Date.now() / 86_400_000);
    console.info(`engine differential test: seed ${seed} (PROPERTY_TEST_SEED=${seed} replays it)`);
    const random = prng(seed);
    const failures: string[] = [];
    const shapes = { withErrors: 0, withNulls: 0, crossSubgraph: 0 };
    for (let n = 0; n < GENERATED_OPERATIONS; n++) {
      const { query, variables } = generateOperation(apiSchema, random);
      const invalid = validate(apiSchema, parse(query));
      expect(invalid.map((e) => e.message), query).toEqual([]);
      const token = [tokens.admin, tokens.member, undefined][Math.floor(random() * 3)];
      const { found, reference } = await compare(query, variables, token);
      failures.push(...found.map((f) => `${query} ${JSON.stringify(variables)}\n   ${f}`));
      if (reference.errors?.length) shapes.withErrors += 1;
      if (String(JSON.stringify(reference.data)).includes('null')) shapes.withNulls += 1;
      if (/me|user|conversation|document/.test(query) && /owner|document|usage|conversations/.test(query)) shapes.crossSubgraph += 1;
    }
    console.info('differences from Apollo Gateway, each explained by a rule:', Object.fromEntries(explained));
    expect(failures.slice(0, 5), `seed ${seed}: ${failures.length} of ${GENERATED_OPERATIONS} differ`).toEqual([]);
    // The generated operations reach what the test is about.
    expect(shapes.withErrors).toBeGreaterThan(10);
    expect(shapes.withNulls).toBeGreaterThan(10);
    expect(shapes.crossSubgraph).toBeGreaterThan(10);
  }, 600_000);
});

const GENERATED_OPERATIONS = 250;
/**
 * Fields left out: they synthesise audio, change the caller's session, or answer with the time of
 * the request (an export's `exportedAt`), which two gateways asked one after the other never share.
 */
const SKIPPED_FIELDS = new Set(['Message.speech', 'Query.search', 'DataExport.exportedAt']);

/** Arguments the generator can fill, by field; other fields with required arguments are not selected. */
function argumentsOf(parent: string, field: GraphQLField<unknown, unknown>): string | undefined {
  const values: Record<string, string> = {
    'Query.conversation': `(id: "${ids.conversationId}")`,
    'Query.user': `(id: "${ids.memberId}")`,
    'Query.document': `(id: "${ids.documentId}")`,
    'Query.featureFlag': '(key: "diff.one")',
    'Query.flagHistory': '(key: "diff.one", first: 3)',
  };
  const fixed = values[`${parent}.${field.name}`];
  if (fixed) return fixed;
  if (field.args.some((arg) => isNonNullType(arg.type) && arg.defaultValue === undefined)) return undefined;
  return field.args.some((arg) => arg.name === 'first') ? '(first: 3)' : '';
}

/** A random valid query over the API schema, with its variables. */
function generateOperation(schema: GraphQLSchema, random: () => number): { query: string; variables: Record<string, unknown> } {
  const pick = <T>(items: T[]): T => items[Math.floor(random() * items.length)]!;
  let aliases = 0;
  const fragments: string[] = [];
  const variables: Record<string, unknown> = {};
  const flag = () => {
    const name = `f${Object.keys(variables).length}`;
    variables[name] = random() < 0.5;
    return `$${name}`;
  };
  const directive = () => {
    const roll = random();
    if (roll < 0.08) return ` @include(if: ${flag()})`;
    if (roll < 0.16) return ` @skip(if: ${flag()})`;
    if (roll < 0.2) return ` @include(if: ${random() < 0.5})`;
    return '';
  };
  const selection = (type: GraphQLObjectType, depth: number): string => {
    const fields = Object.values(type.getFields()).filter((field) => !SKIPPED_FIELDS.has(`${type.name}.${field.name}`) && argumentsOf(type.name, field) !== undefined);
    const leaves = fields.filter((field) => isLeafType(getNamedType(field.type)));
    const objects = depth < 4 ? fields.filter((field) => isObjectType(getNamedType(field.type))) : [];
    const parts: string[] = [];
    const count = 1 + Math.floor(random() * 4);
    for (let i = 0; i < count; i++) {
      const field = pick(objects.length > 0 && random() < 0.5 ? objects : leaves.length > 0 ? leaves : objects);
      if (!field) continue;
      const alias = random() < 0.25 ? `a${aliases++}: ` : '';
      const named = getNamedType(field.type);
      const sub = isObjectType(named) ? ` { ${selection(named, depth + 1)} }` : '';
      parts.push(`${alias}${field.name}${argumentsOf(type.name, field)}${directive()}${sub}`);
    }
    if (random() < 0.2 || parts.length === 0) parts.push('__typename');
    if (random() < 0.15) parts.push(`... on ${type.name}${directive()} { ${selection(type, depth + 1)} }`);
    if (random() < 0.1 && depth > 0) {
      const name = `F${fragments.length}`;
      fragments.push('');
      fragments[fragments.length - 1] = `fragment ${name} on ${type.name} { ${selection(type, depth + 1)} }`;
      parts.push(`...${name}${directive()}`);
    }
    // Reordered with the leaves first half the time: response key order must follow the query.
    return (random() < 0.5 ? parts : [...parts].reverse()).join(' ');
  };
  const body = selection(schema.getQueryType()!, 0);
  const definitions = Object.keys(variables).map((name) => `$${name}: Boolean!`);
  const header = definitions.length > 0 ? `query Generated(${definitions.join(', ')})` : 'query Generated';
  return { query: [`${header} { ${body} }`, ...fragments].join('\n'), variables };
}
