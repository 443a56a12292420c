// keys-mashup: A has four keys, only `id` resolvable in a and only `id compositeId { two three }` in b.
interface A {
  id: string;
  pId: string;
  name: string;
  compositeId: { one: string; two: string; three: string };
}
interface Data {
  data: { a: Record<string, A>; b: Record<string, { id: string; a: string[] }> };
}

export default ({ data }: Data) => {
  // b knows A's keys, not its name: name reaches b only through @requires.
  const aKeysInB = (id: string) => {
    const a = data.a[id];
    return a ? { __typename: 'A', id: a.id, pId: a.pId, compositeId: a.compositeId } : null;
  };
  const b = (id: string) => {
    const found = data.b[id];
    return found ? { __typename: 'B', id: found.id, a: found.a } : null;
  };
  return {
    a: {
      A: { __resolveReference: ({ id }: { id: string }) => (data.a[id] ? { __typename: 'A', ...data.a[id] } : null) },
    },
    b: {
      Query: { b: () => b('100') },
      B: {
        __resolveReference: ({ id }: { id: string }) => b(id),
        a: ({ a }: { a: string[] }) => a.map(aKeysInB),
      },
      A: {
        __resolveReference: ({ id, name }: { id: string; name?: string }) => {
          const keys = aKeysInB(id);
          return keys && name ? { ...keys, name } : keys;
        },
        nameInB: ({ name }: { name?: string }) => {
          if (!name) throw new Error('A.name was not provided');
          return `b.a.nameInB ${name}`;
        },
      },
    },
  };
};
