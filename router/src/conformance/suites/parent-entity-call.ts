// parent-entity-call: Product keyed by id (a) and by id pid (a, b, c); c answers the
// category's details, a and b its id and name.
import { pick } from './records.js';

interface Product {
  id: string;
  pid: string;
  categoryId: string;
}
interface Category {
  id: string;
  name: string;
  details: unknown;
}

export default ({ products, categories }: { products: Product[]; categories: Category[] }) => {
  const product = (key: { id: string; pid?: string }) => {
    const found = products.find((p) => p.id === key.id && (key.pid === undefined || p.pid === key.pid));
    return found ? pick(found, 'id', 'pid', 'categoryId') : null;
  };
  const categoryOf = ({ categoryId }: { categoryId: string }) => categories.find((c) => c.id === categoryId);
  const category = ({ categoryId }: { categoryId: string }) => (categoryOf({ categoryId }) ? pick(categoryOf({ categoryId })!, 'id', 'name') : null);
  const categoryById = ({ id }: { id: string }) => category({ categoryId: id });
  // b and c only know products by both keys.
  const byBothKeys = (key: { id: string; pid: string }) => product(key);
  return {
    a: {
      Query: { products: () => products.map((p) => product(p)) },
      Product: { __resolveReference: product, category },
      Category: { __resolveReference: categoryById },
    },
    b: { Product: { __resolveReference: byBothKeys, category }, Category: { __resolveReference: categoryById } },
    c: {
      Product: {
        __resolveReference: byBothKeys,
        category: (p: { categoryId: string }) => (categoryOf(p) ? { details: categoryOf(p)!.details } : null),
      },
    },
  };
};
