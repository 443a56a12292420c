// include-skip: isExpensive requires price, include/skip require isExpensive; the
// neverCalled* fields sit behind @include(if: false) / @skip(if: true) and must not be fetched.
interface Product {
  id: string;
  price: number;
}

export default ({ products }: { products: Product[] }) => {
  const product = (id: string) => products.find((p) => p.id === id);
  const requireIsExpensive = ({ isExpensive }: { isExpensive?: unknown }) => {
    if (typeof isExpensive !== 'boolean') throw new Error('isExpensive is missing');
    return true;
  };
  const neverCalled = (field: string) => () => {
    throw new Error(`${field} should not be called`);
  };
  return {
    a: {
      Query: { product: () => ({ ...products[0]! }) },
      Product: { __resolveReference: ({ id }: { id: string }) => (product(id) ? { ...product(id)! } : null) },
    },
    b: {
      Product: {
        __resolveReference: (key: { id: string; price?: number }) => (product(key.id) ? ('price' in key ? { id: key.id, price: key.price } : { id: key.id }) : null),
        isExpensive: ({ price }: { price?: number }) => {
          if (!price) throw new Error('Price is missing');
          return price > 500;
        },
      },
    },
    c: {
      Product: {
        __resolveReference: (key: { id: string; isExpensive?: boolean }) =>
          product(key.id) ? ('isExpensive' in key ? { id: key.id, isExpensive: key.isExpensive } : { id: key.id }) : null,
        include: requireIsExpensive,
        skip: requireIsExpensive,
        neverCalledInclude: neverCalled('neverCalledInclude'),
        neverCalledSkip: neverCalled('neverCalledSkip'),
      },
    },
  };
};
