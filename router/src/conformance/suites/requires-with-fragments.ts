// requires-with-fragments: b's requirer fields require data (a union of Baz | Qux) through
// inline fragments.
interface Datum {
  __typename: string;
  id: string;
  foo: string;
  bar: string;
}
interface Data {
  entities: Array<{ id: string; data: string }>;
  bazs: Datum[];
  quxs: Datum[];
}

export default ({ entities, bazs, quxs }: Data) => {
  const entity = (id: string) => entities.find((e) => e.id === id);
  const data = ({ id }: { id: string }) => {
    const dataId = entity(id)?.data;
    if (!dataId) return null;
    const found = bazs.find((b) => b.id === dataId) ?? quxs.find((q) => q.id === dataId);
    if (!found) throw new Error('Invalid data');
    return found;
  };
  const requirer =
    (suffix: string) =>
    (parent: { data?: { foo: string } | string }) => {
      if (typeof parent.data !== 'object') throw new Error('Expected entity to have a data field');
      return `${parent.data.foo}_${suffix}`;
    };
  return {
    a: {
      Query: { a: () => entities[1] },
      Entity: { __resolveReference: ({ id }: { id: string }) => entity(id) ?? null, data },
    },
    b: {
      Query: { b: () => entities[0], bb: () => entities[1] },
      Entity: {
        // The required data arrives with the reference and replaces the record's data id.
        __resolveReference: (key: { id: string }) => (entity(key.id) ? { ...entity(key.id)!, ...key } : null),
        data,
        requirer: requirer('requirer'),
        requirer2: requirer('requirer2'),
      },
    },
  };
};
