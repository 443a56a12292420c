// fed1-external-extends-resolvable: Product keyed by id in a, by "id name" and upc in b.
import { pick } from './records.js';

interface Product {
  id: string;
  pid: string;
  price: number;
  upc: string;
  name: string;
}

export default ({ products }: { products: Product[] }) => {
  const first = products[0]!;
  const inB = (p: Product) => pick(p, 'id', 'name', 'upc', 'price');
  return {
    a: {
      Query: { productInA: () => pick(first, 'id', 'name', 'pid') },
      Product: { __resolveReference: ({ id }: { id: string }) => (first.id === id ? pick(first, 'id', 'name', 'pid') : null) },
    },
    b: {
      Query: { productInB: () => inB(first) },
      Product: {
        __resolveReference: (key: { id: string; name: string } | { upc: string }) => {
          const found = 'id' in key ? products.find((p) => p.id === key.id && p.name === key.name) : products.find((p) => p.upc === key.upc);
          return found ? inB(found) : null;
        },
      },
    },
  };
};
