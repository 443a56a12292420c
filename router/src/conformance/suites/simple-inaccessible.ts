// simple-inaccessible: friends' type field and an enum value are @inaccessible.
interface User {
  id: string;
  age: number;
  friends: string[];
}

export default ({ users }: { users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const withFriends = (id: string) => (user(id) ? { id, friends: user(id)!.friends } : null);
  return {
    age: {
      Query: { usersInAge: () => users.map(({ id, age }) => ({ id, age })) },
      User: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { id, age: user(id)!.age } : null) },
    },
    friends: {
      Query: { usersInFriends: () => users.map(({ id }) => withFriends(id)) },
      User: {
        __resolveReference: ({ id }: { id: string }) => withFriends(id),
        friends: ({ friends }: { friends: string[] }) => friends.map(withFriends),
        type: () => 'FAMILY',
      },
    },
  };
};
