// typename: __typename of unions, interfaces and entities answered across subgraphs.
interface User {
  __typename: string;
  id: string;
  name: string;
  isMain: boolean;
}

export default ({ users }: { users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  return {
    a: {
      Query: { union: () => ({ id: '1', __typename: 'Oven' }), interface: () => ({ id: '2', __typename: 'Toaster' }) },
      User: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { __typename: user(id)!.__typename, id } : null) },
      Admin: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { __typename: user(id)!.__typename, id, isMain: user(id)!.isMain } : null) },
    },
    b: {
      Query: { users: () => users.map(({ id }) => ({ id })) },
      User: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { id } : null), name: ({ id }: { id: string }) => user(id)?.name },
    },
  };
};
