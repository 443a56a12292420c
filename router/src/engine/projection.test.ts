import { GraphQLError, buildSchema, parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { Projection } from './projection.js';

const schema = buildSchema(`
  interface Node { id: ID! }
  type User implements Node { id: ID! name: String! email: String role: Role pets: [Pet!] }
  type Team implements Node { id: ID! title: String! members: [User!]! }
  type Dog { name: String! barks: Boolean }
  type Cat { name: String! lives: Int }
  union Pet = Dog | Cat
  enum Role { ADMIN MEMBER }
  type Query { node(id: ID!): Node nodes: [Node] user: User! maybeUser: User team: Team }
`);

function project(query: string, input: Record<string, unknown>, variables: Record<string, unknown> = {}, errors: GraphQLError[] = []) {
  const data = Projection.compile(schema, parse(query), undefined).apply(input, variables, errors);
  return { json: JSON.stringify(data), data, errors: errors.map((e) => ({ message: e.message, path: e.path })) };
}

describe('projection', () => {
  it('writes exactly the selection, in its order, under aliases, dropping what the planner fetched for itself', () => {
    const { json } = project('{ maybeUser { n: name id  __typename also: name } }', {
      maybeUser: { __typename: 'User', id: '1', name: 'Ada', email: 'ada@example.org', n: 'Ada', also: 'Ada' },
    });
    expect(json).toBe('{"maybeUser":{"n":"Ada","id":"1","__typename":"User","also":"Ada"}}');
  });

  it('applies fragments on interfaces and unions by the runtime __typename', () => {
    const query = `{
      nodes { __typename id ... on User { name pets { ... on Dog { name barks } ...CatFields } } ...TeamFields }
    }
    fragment CatFields on Cat { name lives }
    fragment TeamFields on Team { title }`;
    const { data, errors } = project(query, {
      nodes: [
        { __typename: 'User', id: 'u', name: 'Ada', pets: [{ __typename: 'Dog', name: 'Rex', barks: true }, { __typename: 'Cat', name: 'Tom', lives: 9 }] },
        { __typename: 'Team', id: 't', title: 'Core', name: 'never selected on Team' },
        null,
      ],
    });
    expect(errors).toEqual([]);
    expect(data).toEqual({
      nodes: [
        { __typename: 'User', id: 'u', name: 'Ada', pets: [{ name: 'Rex', barks: true }, { name: 'Tom', lives: 9 }] },
        { __typename: 'Team', id: 't', title: 'Core' },
        null,
      ],
    });
  });

  it('honours @skip and @include with literals and variables, on fields and fragments', () => {
    const query = `query ($yes: Boolean!, $no: Boolean = false) {
      maybeUser { id @skip(if: $yes) name @include(if: $yes) email @include(if: $no) ... on User @skip(if: true) { role } role @include(if: true) }
    }`;
    const input = { maybeUser: { id: '1', name: 'Ada', email: 'e', role: 'ADMIN' } };
    expect(project(query, input, { yes: true, no: false }).json).toBe('{"maybeUser":{"name":"Ada","role":"ADMIN"}}');
    expect(project(query, input, { yes: false, no: true }).json).toBe('{"maybeUser":{"id":"1","email":"e","role":"ADMIN"}}');
  });

  it('merges one response key selected twice with different sub-selections', () => {
    const { json } = project('{ team { members { id } ... on Team { members { name } } } }', {
      team: { members: [{ id: '1', name: 'Ada' }] },
    });
    expect(json).toBe('{"team":{"members":[{"id":"1","name":"Ada"}]}}');
  });

  it('propagates a null non-null field to the nearest nullable parent, with one error at the field', () => {
    const result = project('{ maybeUser { id name } team { id } }', { maybeUser: { id: '1', name: null }, team: { id: 't' } });
    expect(result.data).toEqual({ maybeUser: null, team: { id: 't' } });
    expect(result.errors).toEqual([{ message: 'Cannot return null for non-nullable field User.name.', path: ['maybeUser', 'name'] }]);
  });

  it('nulls a list whose non-null item is null, and the whole data when a non-null root field goes null', () => {
    const list = project('{ team { id members { id } } }', { team: { id: 't', members: [{ id: '1' }, null] } });
    expect(list.data).toEqual({ team: null });
    expect(list.errors).toEqual([{ message: 'Cannot return null for non-nullable list item at team.members.1.', path: ['team', 'members', 1] }]);
    const root = project('{ user { id } team { id } }', { user: null, team: { id: 't' } });
    expect(root.data).toBeNull();
    expect(root.errors).toEqual([{ message: 'Cannot return null for non-nullable field Query.user.', path: ['user'] }]);
  });

  it('adds no error for nulls a subgraph error explains (at the field, or a failed fetch that nulled its whole answer)', () => {
    const atField = [new GraphQLError('Not allowed', { path: ['maybeUser', 'name'] })];
    const result = project('{ maybeUser { id name } }', { maybeUser: { id: '1', name: null } }, {}, atField);
    expect(result.data).toEqual({ maybeUser: null });
    expect(result.errors).toEqual([{ message: 'Not allowed', path: ['maybeUser', 'name'] }]);
    const wholeFetch = [new GraphQLError('Not allowed', { path: ['team'] })];
    const both = project('{ team { id } user { id } }', { team: null, user: null }, {}, wholeFetch);
    expect(both.data).toBeNull();
    expect(both.errors).toEqual([{ message: 'Not allowed', path: ['team'] }]);
  });

  it('refuses leaf values their type does not allow (an unknown enum value, a string for an Int)', () => {
    const result = project('{ maybeUser { role pets { ... on Cat { lives } } } }', { maybeUser: { role: 'ROOT', pets: [{ __typename: 'Cat', lives: 'nine' }] } });
    expect(result.data).toEqual({ maybeUser: { role: null, pets: [{ lives: null }] } });
    expect(result.errors.map((e) => e.path)).toEqual([['maybeUser', 'role'], ['maybeUser', 'pets', 0, 'lives']]);
  });

  it('answers __typename at the root and introspection with the schema', () => {
    const result = project('{ __typename t: __type(name: "Role") { name kind } maybeUser { id } }', { maybeUser: { id: '1' } });
    expect(result.json).toBe('{"__typename":"Query","t":{"name":"Role","kind":"ENUM"},"maybeUser":{"id":"1"}}');
  });
});
