import { execute, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { allow, hasRole, type AuthContext, type Viewer } from '@voiceassist/auth';
import { buildExecutableSubgraphSchema, type SubgraphModule } from './index.js';

const LINK = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

// Fields whose rule is `allow` skip shield's wrapper; everything else must still be checked.
const module: SubgraphModule<AuthContext> = {
  name: 'permissions-test',
  typeDefs: parse(`${LINK}
    type Query { thing: Thing! secret: String adminOnly: String open: Open! }
    type Thing { visible: String! hidden: String }
    type Open { a: String! b: String! }
  `),
  resolvers: {
    Query: { thing: () => ({}), secret: () => 'secret', adminOnly: () => 'admin', open: () => ({}) },
    Thing: { visible: () => 'visible', hidden: () => 'hidden' },
    Open: { a: () => 'a', b: () => 'b' },
  },
  permissions: {
    Query: { thing: allow, adminOnly: hasRole('ADMIN'), open: allow },
    Thing: { visible: allow },
    Open: allow,
  },
};

const schema = buildExecutableSubgraphSchema(module);
const viewer = (role: Viewer['role']): Viewer => ({ userId: 'u1', sessionId: 's1', role, expiresAt: new Date(Date.now() + 60_000) }) as Viewer;
const run = async (query: string, context: AuthContext) => {
  const result = await execute({ schema, document: parse(query), contextValue: context });
  return { data: result.data as Record<string, unknown> | null | undefined, codes: (result.errors ?? []).map((e) => [e.path?.join('.'), e.extensions.code]) };
};

describe('subgraph permissions', () => {
  it('resolves fields ruled allow, on a whole type or one field at a time', async () => {
    const result = await run('{ thing { visible } open { a b } }', { viewer: null });
    expect(result.codes).toEqual([]);
    expect(result.data).toEqual({ thing: { visible: 'visible' }, open: { a: 'a', b: 'b' } });
  });

  it('still refuses fields without a rule, next to allowed ones: UNAUTHENTICATED anonymously, FORBIDDEN signed in', async () => {
    expect((await run('{ thing { visible hidden } secret }', { viewer: null })).codes).toEqual(
      expect.arrayContaining([
        ['thing.hidden', 'UNAUTHENTICATED'],
        ['secret', 'UNAUTHENTICATED'],
      ]),
    );
    expect((await run('{ thing { hidden } }', { viewer: viewer('USER') })).codes).toEqual([['thing.hidden', 'FORBIDDEN']]);
  });

  it('checks role rules', async () => {
    expect((await run('{ adminOnly }', { viewer: viewer('USER') })).codes).toEqual([['adminOnly', 'FORBIDDEN']]);
    expect(await run('{ adminOnly }', { viewer: viewer('ADMIN') })).toEqual({ data: { adminOnly: 'admin' }, codes: [] });
  });
});
