// enum-intersection: UserType has values only one subgraph knows.
import { pick } from './records.js';

interface User {
  id: string;
  type: string;
}

export default ({ users }: { users: User[] }) => {
  const user = ({ id }: { id: string }) => {
    const found = users.find((u) => u.id === id);
    return found ? pick(found, 'id', 'type') : null;
  };
  return {
    a: { Query: { users: () => users }, User: { __resolveReference: user } },
    b: {
      Query: { usersByType: (_: unknown, { type }: { type: string }) => users.filter((u) => u.type === type), usersB: () => users },
      User: { __resolveReference: user },
    },
  };
};
