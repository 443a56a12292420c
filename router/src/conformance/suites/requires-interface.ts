// requires-interface: a's city and country require the user's address (an interface b owns).
interface Address {
  __typename: string;
  id: string;
  city: string;
  country: string;
}
interface User {
  id: string;
  name: string;
  address: string;
}

export default ({ addresses, users }: { addresses: Address[]; users: User[] }) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const address = ({ id }: { id?: string } = {}) => addresses.find((a) => a.id === id);
  const addressEntity = { __resolveReference: address };
  return {
    a: {
      Query: { a: () => ({ id: users[0]!.id, name: users[0]!.name }) },
      User: {
        __resolveReference: (key: { id: string; address?: { id?: string } }) => {
          const found = user(key.id);
          if (!found) return null;
          return key.address?.id ? { id: found.id, name: found.name, address: { id: found.address } } : { id: found.id, name: found.name };
        },
        city: ({ address: required }: { address: { id: string } }) => address(required)?.city,
        country: ({ address: required }: { address?: { id?: string } }) => address(required)?.country,
      },
      HomeAddress: addressEntity,
      WorkAddress: addressEntity,
    },
    b: {
      Query: { b: () => ({ ...users[1]! }) },
      User: {
        __resolveReference: ({ id }: { id: string }) => (user(id) ? { ...user(id)! } : null),
        address: ({ address: id }: { address: string }) => address({ id }),
      },
      HomeAddress: addressEntity,
      WorkAddress: addressEntity,
    },
  };
};
