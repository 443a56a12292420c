// partial-union-complex: the Action union differs between a (Common | OnlyA) and b
// (Common | OnlyB); each subgraph answers only the members it knows.
interface Data {
  container: { id: string };
  aActions: unknown[];
  bActions: unknown[];
  sharedActions: unknown[];
}

export default ({ container, aActions, bActions, sharedActions }: Data) => {
  const side = (own: unknown[]) => ({
    Container: {
      __resolveReference: ({ id }: { id: string }) => (id === container.id ? { ...container, actions: own } : null),
      wrapper: ({ actions }: { actions?: unknown[] }) => ({ actions: actions ?? own }),
    },
    Action: { __resolveType: ({ __typename }: { __typename: string }) => __typename },
  });
  const shared = () => ({ ...container, actions: sharedActions });
  const a = side(aActions);
  const b = side(bActions);
  return {
    a: { ...a, Query: { rootA: () => ({ ...container, actions: aActions }), shared } },
    b: { ...b, Query: { rootB: () => ({ ...container, actions: bActions }), shared }, Container: { ...b.Container, bWrapper: () => ({ actions: bActions }) } },
  };
};
