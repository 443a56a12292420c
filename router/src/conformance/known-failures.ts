// The audit's cases Apollo's query planner (and so @apollo/gateway, and our router on the
// apollo engine) answers wrongly, per suite and case index, with the federation rule it breaks.
export const apolloFailures: Record<string, Record<number, string>> = {
  'keys-mashup': {
    0: 'an entity is only entered through a key its subgraph marks resolvable (Apollo fetches A from b by a `resolvable: false` key)',
  },
  'non-resolvable-interface-object': {
    1: 'a non-null field no subgraph can resolve nulls its parent with an error (Apollo plans nothing and answers `{ a: null }` without errors)',
  },
  'requires-with-argument': {
    2: "a field fetched for @requires with other arguments must not overwrite the client's field under the same response key",
    3: "a field fetched for @requires with other arguments must not overwrite the client's field under the same response key",
    4: "a field fetched for @requires with other arguments must not overwrite the client's field under the same response key",
  },
  'requires-with-argument-conflict': {
    0: '@requires fetches the field with the arguments it names (Apollo fetches `price(currency: "EUR")` where `USD` is required)',
  },
};
