// non-resolvable-interface-object: Node is an interface in a and a non-resolvable
// @interfaceObject in b; Product the other way round.
interface Data {
  products: Array<{ __typename: string; id: string; name: string }>;
}

export default ({ products }: Data) => {
  const product = ({ id }: { id: string }) => products.find((p) => p.id === id);
  return {
    a: {
      Query: { a: () => ({ __typename: 'Node', id: 'n1' }), product: () => ({ __typename: 'Product', id: products[0]!.id }) },
      Node: {
        __resolveReference: () => {
          throw new Error('Node is an interface object elsewhere: a cannot resolve it');
        },
      },
    },
    b: {
      Query: { b: () => ({ __typename: 'Node', id: 'n1' }) },
      Node: {
        __resolveReference: () => {
          throw new Error('Node is not resolvable in b');
        },
        field: () => 'foo',
      },
      Product: { __resolveReference: product },
      Bread: { __resolveReference: product },
    },
  };
};
