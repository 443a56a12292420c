// node: Query.productNode / categoryNode return Node references the types subgraph completes.
import { pick } from './records.js';

interface Record_ {
  id: string;
  name: string;
  price?: number;
}

export default ({ products, categories }: { products: Record_[]; categories: Record_[] }) => {
  const idOnly = (records: Record_[]) => ({ __resolveReference: ({ id }: { id: string }) => (records.some((r) => r.id === id) ? { id } : null) });
  const full = (records: Record_[]) => ({
    __resolveReference: ({ id }: { id: string }) => {
      const found = records.find((r) => r.id === id);
      return found ? pick(found, 'id', 'name', 'price') : null;
    },
  });
  return {
    node: {
      Query: { productNode: () => ({ __typename: 'Product', id: products[0]!.id }), categoryNode: () => ({ __typename: 'Category', id: categories[0]!.id }) },
      Product: idOnly(products),
      Category: idOnly(categories),
    },
    types: { Product: full(products), Category: full(categories) },
  };
};
