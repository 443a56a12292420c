// fed1/fed2-external-extends/-extension (same records and resolvers, schemas differ): a and b share User; b owns name and nickname, a sees name only where it is provided.
import { pick } from './records.js';

interface User {
  id: string;
  rid: string;
  name: string;
  nickname: string;
}

export default ({ users }: { users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const inB = (id: string) => (user(id) ? pick(user(id)!, 'id', 'name', 'nickname') : null);
  return {
    a: {
      Query: { randomUser: () => pick(users[0]!, 'id', 'rid'), providedRandomUser: () => pick(users[0]!, 'id', 'rid', 'name') },
      User: {
        __resolveReference: ({ id }: { id: string }) => (user(id) ? pick(user(id)!, 'id', 'rid') : null),
        // Only a provided name is a's to give: anything else would be a wrong answer.
        name: ({ name }: { name?: string }) => name ?? 'never',
      },
    },
    b: {
      Query: { userById: (_: unknown, { id }: { id: string }) => inB(id) },
      User: { __resolveReference: ({ id }: { id: string }) => inB(id) },
    },
  };
};
