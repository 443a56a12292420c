import { buildSchema, parse, type OperationDefinitionNode } from 'graphql';
import { describe, expect, it } from 'vitest';
import { measureOperation } from './operation-limits.js';

const schema = buildSchema(`
  type Query { users(first: Int): UserConnection! me: User tags(limit: Int): [String!]! }
  type UserConnection { edges: [UserEdge!]! pageInfo: PageInfo! }
  type UserEdge { cursor: String! node: User! }
  type PageInfo { hasNextPage: Boolean! }
  type User { id: ID! friends(first: Int): UserConnection! tags: [String!]! }
`);

const measure = (query: string, variables: Record<string, unknown> = {}) => {
  const document = parse(query);
  return measureOperation(document, document.definitions[0] as OperationDefinitionNode, schema, variables, 10);
};

describe('measureOperation', () => {
  it('weights a connection by its first argument once, not again for its edges', () => {
    // users: 1 + 20 × (edges: 1 + (cursor 1 + node: 1 + id 1) = 4) ; pageInfo is outside the page.
    expect(measure('{ users(first: 20) { edges { cursor node { id } } } }').cost).toBe(1 + 20 * 4);
  });

  it('takes list sizes from variables, and a default when absent', () => {
    expect(measure('query Q($n: Int) { tags(limit: $n) }', { n: 3 }).cost).toBe(1 + 3 * 0);
    expect(measure('{ me { tags } }').cost).toBe(1 + (1 + 10 * 0));
    expect(measure('{ users { edges { node { friends(first: 5) { edges { node { id } } } } } } }').cost).toBe(1 + 10 * (1 + (1 + (1 + 5 * (1 + (1 + 1))))));
  });

  it('counts depth through fragments, and aliases, root fields and directives as written', () => {
    const shape = measure('{ a: me { ...F } b: me @skip(if: false) { id } } fragment F on User { friends { edges { node { id } } } }');
    expect(shape).toMatchObject({ depth: 5, aliases: 2, rootFields: 2, directives: 1 });
  });

  it('survives fragment cycles (validation reports them later)', () => {
    expect(() => measure('{ me { ...A } } fragment A on User { ...B } fragment B on User { ...A }')).not.toThrow();
  });
});
