// mysterious-external: product owns name, price owns price and cheapestProduct.
import { pick } from './records.js';

interface Product {
  id: string;
  name: string;
  price: number;
}

export default ({ products }: { products: Product[] }) => {
  const find = (id: string) => products.find((p) => p.id === id);
  return {
    price: {
      Query: { cheapestProduct: () => products.reduce<Product | null>((cheapest, p) => (cheapest && cheapest.price <= p.price ? cheapest : p), null) },
      Product: { __resolveReference: ({ id }: { id: string }) => (find(id) ? pick(find(id)!, 'id', 'price') : null) },
    },
    product: {
      Query: { products: () => products.map((p) => pick(p, 'id', 'name')) },
      Product: { __resolveReference: ({ id }: { id: string }) => (find(id) ? pick(find(id)!, 'id', 'name') : null) },
    },
  };
};
