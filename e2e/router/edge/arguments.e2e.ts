import {
  buildClientSchema,
  getIntrospectionQuery,
  getNamedType,
  getNullableType,
  isEnumType,
  isInputObjectType,
  isLeafType,
  isListType,
  isNonNullType,
  isScalarType,
  type GraphQLField,
  type GraphQLInputType,
  type GraphQLObjectType,
  type IntrospectionQuery,
} from 'graphql';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { dataOf, testEnv } from '@voiceassist/testkit';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { prng } from '@voiceassist/testkit/prng';

// A property test of every argument of the API: generated hostile strings and JSON (lone
// surrogates, NUL, huge and deep JSON, long strings, wrong types, unicode oddities, SQL-ish text)
// go into each argument of each Query and Mutation root field, through the router of the whole
// in-process supergraph, as a SUPERADMIN and anonymously. Whatever they send, clients get a coded
// client error or data: never INTERNAL_SERVER_ERROR, DOWNSTREAM_SERVICE_ERROR or a 5xx.
// Seeded: the seed is printed, and PROPERTY_TEST_SEED replays a run.

const CASES_PER_ARGUMENT = 4;
const CONCURRENCY = 4;
const REQUEST_TIMEOUT_MS = 20_000;
/** Fields that would end the SUPERADMIN's session for every later case. */
const SKIPPED_FIELDS = new Set(['logoutEverywhere']);
const SERVER_FAULTS = new Set(['INTERNAL_SERVER_ERROR', 'DOWNSTREAM_SERVICE_ERROR']);


type Random = ReturnType<typeof prng>;

function generators(random: Random) {
  const int = (min: number, max: number) => min + Math.floor(random() * (max - min + 1));
  const pick = <T>(items: readonly T[]): T => items[Math.floor(random() * items.length)]!;

  const hostileString = (): string =>
    pick<() => string>([
      () => pick(['\ud800', 'a\udc00b', 'tail \ud83d', '\udfff\ud800', '\u0000', 'x\u0000y', `${'a'.repeat(int(1, 50))}\u0000`]),
      () => pick(["' OR 1=1 --", "'; DROP TABLE users; --", '%_\\', "\\'", '$1', 'E\'\\x00\'', 'null', 'NaN', '-1', '1e309', '2147483648', '{"a":1}', '[]']),
      () => pick(['\u202e\u200b\ufeff', 'e\u0301\u0301\u0301', '𝕏🙂👩‍⚕️', '\uffff\ufffe', '\u2028\u2029', '\r\n\t\v\f', ' ', '', 'İıß', '\u00ad']),
      () => pick(['<script>alert(1)</script>', '../../etc/passwd', '${jndi:ldap://x/a}', '{{7*7}}', 'AAAA%n%n%n', 'data:,x', 'http://169.254.169.254/']),
      () => pick(['x', '🙂', 'é', '\u0000', '\ud800']).repeat(int(1_000, 120_000)),
    ])();

  const deepJson = (depth: number): unknown => {
    let value: unknown = hostileString();
    for (let i = 0; i < depth; i++) value = random() < 0.5 ? { a: value } : [value];
    return value;
  };

  const hostileJson = (): unknown =>
    pick<() => unknown>([
      () => deepJson(int(20, 40)),
      () => deepJson(int(500, 5_000)),
      () => Object.fromEntries(Array.from({ length: int(100, 5_000) }, (_, i) => [`k${i}`, i % 7 === 0 ? hostileString().slice(0, 20) : i])),
      () => Array.from({ length: int(100, 10_000) }, () => int(-1e6, 1e6)),
      () => ({ [pick(['\ud800', '\u0000', 'a\u0000b', '\udc00'])]: 1 }),
      () => JSON.parse('{"__proto__":{"polluted":true},"constructor":{"prototype":{"x":1}}}') as unknown,
      () => ({ nested: { list: [hostileString(), { deeper: hostileString() }] } }),
      () => pick([1e308, -0, Number.MAX_SAFE_INTEGER + 2, -1, 0.1, true, false, null, 'string', []]),
      hostileString,
    ])();

  const wrongType = (): unknown => pick([1, -1, 2 ** 31, 2 ** 53 + 1, 1.5, true, [], {}, [[[]]], 'string', { a: 1 }, hostileString().slice(0, 100)]);

  const hostileInt = (): unknown => pick([0, -1, -(2 ** 31), 2 ** 31 - 1, 1_000_000, 1, 2 ** 31, 1.5, '1']);

  return { int, pick, hostileString, hostileJson, wrongType, hostileInt };
}

/** A value GraphQL accepts for the type, so a case can aim at one argument (or one field) at a time. */
function plausible(type: GraphQLInputType): unknown {
  if (isNonNullType(type)) return plausible(type.ofType);
  if (isListType(type)) return [plausible(type.ofType)];
  if (isEnumType(type)) return type.getValues()[0]!.name;
  if (isInputObjectType(type)) {
    const value: Record<string, unknown> = {};
    for (const field of Object.values(type.getFields())) {
      if (isNonNullType(field.type) && field.defaultValue === undefined) value[field.name] = plausible(field.type);
    }
    return value;
  }
  switch (getNamedType(type).name) {
    case 'Int':
      return 1;
    case 'Float':
      return 1.5;
    case 'Boolean':
      return true;
    case 'ID':
      return '00000000-0000-4000-8000-000000000000';
    case 'JSON':
      return {};
    case 'DateTime':
      return new Date(Date.now() + 86_400_000).toISOString();
    default:
      return 'probe';
  }
}

/** The hostile value for one spot of the given type: mostly type-correct, so it reaches the resolver. */
function hostileFor(type: GraphQLInputType, g: ReturnType<typeof generators>, random: Random): unknown {
  if (random() < 0.15) return g.wrongType();
  const nullable = getNullableType(type);
  if (isListType(nullable)) {
    return random() < 0.3 ? Array.from({ length: g.int(0, 2_000) }, () => plausible(nullable.ofType)) : [hostileFor(nullable.ofType, g, random)];
  }
  if (isInputObjectType(nullable)) {
    const value = plausible(nullable) as Record<string, unknown>;
    const fields = Object.values(nullable.getFields());
    const field = g.pick(fields);
    value[field.name] = hostileFor(field.type, g, random);
    return value;
  }
  if (isEnumType(nullable)) return g.pick(['NOPE', 'public', '\u0000', 1]);
  if (isScalarType(nullable)) {
    switch (nullable.name) {
      case 'Int':
      case 'Float':
        return g.hostileInt();
      case 'Boolean':
        return g.pick([true, false, 'true', 0]);
      case 'JSON':
        return g.hostileJson();
      default:
        return g.hostileString();
    }
  }
  return g.wrongType();
}

interface Case {
  field: string;
  argument: string;
  role: 'SUPERADMIN' | 'anonymous';
  query: string;
  variables: Record<string, unknown>;
}

function generateCases(schema: ReturnType<typeof buildClientSchema>, random: Random): Case[] {
  const g = generators(random);
  const cases: Case[] = [];
  const roots: Array<[string, GraphQLObjectType | null | undefined]> = [
    ['query', schema.getQueryType()],
    ['mutation', schema.getMutationType()],
  ];
  for (const [operation, root] of roots) {
    for (const field of Object.values(root?.getFields() ?? {}) as Array<GraphQLField<unknown, unknown>>) {
      if (field.args.length === 0 || SKIPPED_FIELDS.has(field.name)) continue;
      const selection = isLeafType(getNamedType(field.type)) ? '' : ' { __typename }';
      for (const target of field.args) {
        for (let i = 0; i < CASES_PER_ARGUMENT; i++) {
          const variables: Record<string, unknown> = {};
          for (const argument of field.args) {
            if (argument === target) variables[argument.name] = hostileFor(argument.type, g, random);
            else if (isNonNullType(argument.type) && argument.defaultValue === undefined) variables[argument.name] = plausible(argument.type);
          }
          // Now and then a string goes inline, as a literal in the document, instead of as a variable.
          const literal = typeof variables[target.name] === 'string' && random() < 0.25 ? target.name : undefined;
          const used = field.args.filter((a) => a.name in variables);
          const declarations = used.filter((a) => a.name !== literal).map((a) => `$${a.name}: ${String(a.type)}`);
          const passed = used.map((a) => `${a.name}: ${a.name === literal ? JSON.stringify(variables[a.name]) : `$${a.name}`}`).join(', ');
          if (literal) delete variables[literal];
          const query = `${operation} P${declarations.length ? `(${declarations.join(', ')})` : ''} { ${field.name}(${passed})${selection} }`;
          for (const role of ['SUPERADMIN', 'anonymous'] as const) cases.push({ field: field.name, argument: target.name, role, query, variables });
        }
      }
    }
  }
  return cases;
}

let s: TestSupergraph;
let superadminToken: string;

beforeAll(async () => {
  s = await startSupergraph();
  // The first account of a fresh supergraph is its SUPERADMIN.
  const registered = await s.request<{ register: { accessToken: string; user: { role: string } } }>(
    'mutation R($input: RegisterInput!) { register(input: $input) { accessToken user { role } } }',
    { input: { email: `founder-${Date.now()}@example.com`, password: 'violet kettle harbour', displayName: 'Founder' } },
  );
  const { accessToken, user } = dataOf(registered).register;
  expect(user.role).toBe('SUPERADMIN');
  superadminToken = accessToken;
}, 120_000);

afterAll(() => s?.stop());

describe('every argument of the API', () => {
  it('answers generated hostile values with client errors, never a server fault', { timeout: 150_000 }, async () => {
    const seed = testEnv.PROPERTY_TEST_SEED ?? Math.floor(Date.now() / 86_400_000);
    console.info(`arguments property test: seed ${seed} (PROPERTY_TEST_SEED=${seed} replays it)`);
    const introspection = await s.request<IntrospectionQuery>(getIntrospectionQuery(), {}, { token: superadminToken });
    const cases = generateCases(buildClientSchema(dataOf(introspection)), prng(seed));
    expect(cases.length).toBeGreaterThan(300);

    const failures: string[] = [];
    const codes = new Map<string, number>();
    const started = Date.now();
    let next = 0;
    const worker = async () => {
      for (let item = cases[next++]; item; item = cases[next++]) {
        const response = await fetch(s.graphqlUrl, {
          method: 'POST',
          headers: { 'content-type': 'application/json', ...(item.role === 'SUPERADMIN' ? { authorization: `Bearer ${superadminToken}` } : {}) },
          body: JSON.stringify({ query: item.query, variables: item.variables }),
          signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
        }).catch((error: unknown) => error as Error);
        const where = `${item.field}(${item.argument}) as ${item.role}: ${item.query.slice(0, 160)} with ${JSON.stringify(item.variables).slice(0, 120)}`;
        if (response instanceof Error) {
          failures.push(`${where} → ${response.name}`);
          continue;
        }
        const text = await response.text();
        let errors: Array<{ message?: string; extensions?: { code?: unknown } }> = [];
        try {
          errors = (JSON.parse(text) as { errors?: typeof errors }).errors ?? [];
        } catch {
          failures.push(`${where} → ${response.status} not JSON: ${text.slice(0, 80)}`);
          continue;
        }
        for (const error of errors) codes.set(String(error.extensions?.code), (codes.get(String(error.extensions?.code)) ?? 0) + 1);
        const fault = errors.find((e) => SERVER_FAULTS.has(String(e.extensions?.code)) || typeof e.extensions?.code !== 'string');
        if (response.status >= 500 || fault) failures.push(`${where} → ${response.status} ${JSON.stringify(fault ?? errors[0]).slice(0, 200)}`);
      }
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    console.info(`arguments property test: ${cases.length} requests in ${Date.now() - started} ms; error codes ${JSON.stringify(Object.fromEntries(codes))}`);

    expect(failures.slice(0, 20), `seed ${seed}: ${failures.length} server faults`).toEqual([]);
    // The hostile values reached validation, not only the type checks.
    expect(codes.get('BAD_USER_INPUT') ?? 0).toBeGreaterThan(100);
    expect((await fetch(`${s.routerUrl}/health`)).status).toBe(200);
  });
});
