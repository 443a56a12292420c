// simple-entity-call: nickname knows users only by email, which email owns.
interface User {
  id: string;
  email: string;
  nickname: string;
}

export default ({ users }: { users: User[] }) => {
  const withEmail = (u: User) => ({ id: u.id, email: u.email });
  return {
    email: {
      Query: { user: () => withEmail(users[0]!) },
      User: { __resolveReference: ({ id }: { id: string }) => (users.find((u) => u.id === id) ? withEmail(users.find((u) => u.id === id)!) : null) },
    },
    nickname: {
      User: {
        __resolveReference: ({ email }: { email: string }) => {
          const found = users.find((u) => u.email === email);
          return found ? { nickname: found.nickname } : null;
        },
      },
    },
  };
};
