// child-type-mismatch: similarAccounts lists Users and Admins whose fields differ in nullability.
interface Data {
  users: Array<{ id: string; name: string }>;
}

export default ({ users }: Data) => {
  const accounts = () => [...users.map((user) => ({ __typename: 'User', ...user })), { __typename: 'Admin', id: 'a1', name: 'a1-name' }];
  return {
    a: { Query: { users: () => users.map(({ id }) => ({ __typename: 'User', id })) } },
    b: {
      Query: { accounts },
      User: { __resolveReference: ({ id }: { id: string }) => users.find((user) => user.id === id), similarAccounts: accounts },
      Admin: { similarAccounts: accounts },
    },
  };
};
