import { GraphQLError, parse, print } from 'graphql';
import { describe, expect, it } from 'vitest';
import { activeFragments, findDeferredFragments, incrementalItems, withoutDeferred } from './defer.js';

const DOCUMENT = parse(`query Q($later: Boolean!) {
  me {
    id
    ... @defer(label: "profile") { email displayName }
  }
  conversations(first: 2) {
    edges {
      node {
        id
        ...Messages @defer(if: $later)
        ... on Conversation @defer(if: false) { archived }
      }
    }
  }
}
fragment Messages on Conversation { title a: messages(first: 1) { edges { cursor } } }`);

describe('@defer fragments', () => {
  it('finds each deferred fragment with its place in the response, its fields and what decides it', () => {
    const found = findDeferredFragments(DOCUMENT, 'Q');
    expect(found.map(({ label, path, keys, ifVariable }) => ({ label, path, keys, ifVariable }))).toEqual([
      { label: 'profile', path: ['me'], keys: ['email', 'displayName'], ifVariable: undefined },
      { label: undefined, path: ['conversations', 'edges', 'node'], keys: ['title', 'a'], ifVariable: 'later' },
    ]);
    expect(activeFragments(found, { later: false }).map((fragment) => fragment.label)).toEqual(['profile']);
  });

  it('leaves the operation without them: empty selection sets for the first part, __typename where it is planned', () => {
    const document = parse('{ me { ... @defer { email } } }');
    const { projected, planned } = withoutDeferred(document, findDeferredFragments(document, undefined));
    expect(print(planned)).toBe('{\n  me {\n    __typename\n  }\n}');
    expect(JSON.stringify(projected)).not.toContain('defer');
    const spread = findDeferredFragments(DOCUMENT, 'Q');
    expect(print(withoutDeferred(DOCUMENT, spread).planned)).not.toContain('fragment Messages');
  });

  it("cuts each fragment's fields out of the whole result at every place it applied, with the errors under them", () => {
    const found = activeFragments(findDeferredFragments(DOCUMENT, 'Q'), { later: true });
    const data = {
      me: { id: 'u1', email: 'a@b.c', displayName: 'A' },
      conversations: { edges: [{ node: { id: 'c1', title: 'One', a: null } }, { node: { id: 'c2', title: 'Two', a: { edges: [] } } }] },
    };
    const failed = new GraphQLError('messages failed', { path: ['conversations', 'edges', 0, 'node', 'a'] });
    expect(incrementalItems(found, data, [failed])).toEqual([
      { data: { email: 'a@b.c', displayName: 'A' }, path: ['me'], label: 'profile' },
      { data: { title: 'One', a: null }, path: ['conversations', 'edges', 0, 'node'], errors: [failed] },
      { data: { title: 'Two', a: { edges: [] } }, path: ['conversations', 'edges', 1, 'node'] },
    ]);
  });
});
