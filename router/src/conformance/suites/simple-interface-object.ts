// simple-interface-object: NodeWithName and Account are interfaces in a and
// @interfaceObjects in b and c, which answer "Never" as the typename: the gateway must take
// concrete types from a.
interface Account {
  __typename: string;
  id: string;
  name: string;
  isMain: boolean;
  isActive: boolean;
}
interface User {
  id: string;
  name: string;
  username: string;
  age: number;
}

export default ({ accounts, users }: { accounts: Account[]; users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const account = (id: string) => accounts.find((a) => a.id === id);
  const userInA = (id: string) => (user(id) ? { __typename: 'User', id, name: user(id)!.name, age: user(id)!.age } : null);
  const isMain = ({ id, isMain: given }: { id: string; isMain?: boolean }) => (typeof given === 'boolean' ? given : (account(id)?.isMain ?? null));
  const concreteAccount = (found: Account | undefined) => (found ? { __typename: found.__typename, id: found.id, isMain: found.isMain, isActive: found.isActive } : null);
  // b and c know accounts only as interface objects.
  const accountObject = ({ id }: { id: string }) => (account(id) ? { __typename: 'Never', id } : null);
  const accountObjects = () => accounts.map(({ id }) => ({ __typename: 'Never', id }));
  return {
    a: {
      Query: { users: () => users.map((u) => userInA(u.id)) },
      NodeWithName: { __resolveReference: ({ id }: { id: string }) => userInA(id) },
      User: { __resolveReference: ({ id }: { id: string }) => userInA(id) },
      Account: {
        __resolveReference: ({ id }: { id: string }) => (account(id) ? { __typename: account(id)!.__typename, id, isActive: account(id)!.isActive } : null),
      },
      Admin: {
        __resolveReference: ({ id }: { id: string }) => (account(id)?.__typename === 'Admin' ? concreteAccount(account(id)) : null),
        isMain,
      },
      Regular: { __resolveReference: ({ id }: { id: string }) => concreteAccount(account(id)), isMain },
    },
    b: {
      Query: { anotherUsers: () => users.map((u) => ({ __typename: 'User', id: u.id, username: u.username })), accounts: accountObjects },
      NodeWithName: {
        __resolveReference: ({ id }: { id: string }) => (user(id) ? { __typename: 'User', id, username: user(id)!.username } : null),
        username: ({ id }: { id: string }) => user(id)?.username ?? null,
      },
      Account: { __resolveReference: accountObject, name: ({ id }: { id: string }) => account(id)?.name },
    },
    c: {
      Query: { accounts: accountObjects },
      Account: { __resolveReference: accountObject, isActive: () => false },
    },
  };
};
