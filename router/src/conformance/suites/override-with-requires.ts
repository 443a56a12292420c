// override-with-requires: name is overridden to b; a's aName and c's cName require it, and
// their own name resolvers answer "NEVER".
interface User {
  id: string;
  name: string;
}

export default ({ users }: { users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  // a and c hold only the id, plus the name when it came with the reference (@requires).
  const withRequiredName = (key: { id: string; name?: string }) => (user(key.id) ? ('name' in key ? { id: key.id, name: user(key.id)!.name } : { id: key.id }) : null);
  const never = () => 'NEVER';
  return {
    a: {
      Query: { userInA: () => users[0] },
      User: { __resolveReference: withRequiredName, aName: ({ name }: User) => `a__${name}`, name: never },
    },
    b: {
      Query: { userInB: () => users[1] },
      User: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { ...user(id)! } : null) },
    },
    c: {
      Query: { userInC: () => users[2] },
      User: { __resolveReference: withRequiredName, name: never, cName: ({ name }: User) => `c__${name}` },
    },
  };
};
