// union-interface-distributed: Oven's warranty lives in b only (a throws for it); Toaster's in a.
interface Product {
  __typename: string;
  id: string;
  warranty: number;
}

export default ({ products }: { products: Product[] }) => {
  // a knows a toaster's warranty, not an oven's.
  const inA = (p: Product | undefined) => (p === undefined ? null : p.__typename === 'Oven' ? { __typename: 'Oven', id: p.id } : { __typename: 'Toaster', id: p.id, warranty: p.warranty });
  const ofType = (typename: string, id: string) => products.find((p) => p.id === id && p.__typename === typename);
  const toasters = () => products.filter((p) => p.__typename === 'Toaster').map(inA);
  return {
    a: {
      Query: { products: () => products.map(inA), node: (_: unknown, { id }: { id: string }) => inA(products.find((p) => p.id === id)), toasters, nodes: toasters },
      Oven: {
        __resolveReference: ({ id }: { id: string }) => inA(ofType('Oven', id)),
        warranty: () => {
          throw new Error('Never');
        },
      },
      Toaster: { __resolveReference: ({ id }: { id: string }) => inA(ofType('Toaster', id)) },
    },
    b: {
      // b answers every oven's warranty as 1.
      Oven: { __resolveReference: ({ id }: { id: string }) => (ofType('Oven', id) ? { __typename: 'Oven', id, warranty: 1 } : null) },
    },
  };
};
