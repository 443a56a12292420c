// input-object-intersection: the filter input's fields differ between subgraphs; an offset
// the subgraph does not know must never reach it.
interface User {
  id: string;
  name: string;
}

export default ({ users }: { users: User[] }) => {
  const listed = (_: unknown, { filter }: { filter: object }) => ('offset' in filter ? [] : users);
  const user = { __resolveReference: ({ id }: { id: string }) => users.find((u) => u.id === id) ?? null };
  return {
    a: { Query: { usersInA: listed }, User: user },
    b: { Query: { usersInB: listed }, User: user },
  };
};
