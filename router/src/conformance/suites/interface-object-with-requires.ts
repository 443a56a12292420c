// interface-object-with-requires: b's NodeWithName (an @interfaceObject) requires name for username.
interface User {
  id: string;
  name: string;
  username: string;
  age: number;
}

export default ({ users }: { users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const inA = (id: string) => {
    const found = user(id);
    return found ? { __typename: 'User', id: found.id, name: found.name, age: found.age } : null;
  };
  return {
    a: {
      Query: { users: () => users.map((u) => inA(u.id)) },
      NodeWithName: { __resolveReference: ({ id }: { id: string }) => inA(id) },
      User: { __resolveReference: ({ id }: { id: string }) => inA(id) },
    },
    b: {
      Query: { anotherUsers: () => users.map((u) => ({ __typename: 'User', id: u.id, username: u.username })) },
      NodeWithName: {
        __resolveReference: (key: { id: string; name?: string }) => (user(key.id) ? { __typename: 'User', id: key.id, name: key.name } : null),
        username: ({ id, name }: { id: string; name?: string }) => {
          const found = user(id);
          if (!found) return null;
          if (!name) throw new Error("Requires field 'name' not provided");
          return found.username;
        },
      },
    },
  };
};
