// requires-requires: c derives isExpensive from a's price and isExpensiveWithDiscount from
// b's hasDiscount; d derives canAfford* from c's fields: requirements chained two deep.
import { GraphQLError } from 'graphql';

interface Product {
  id: string;
  price: number;
  hasDiscount: boolean;
}

/** Copies the required field from the key and derives another from it; a required field of the wrong type is an error. */
function derive(key: Record<string, unknown>, product: Record<string, unknown>, field: string, type: string, derived: string, compute: (value: never) => unknown): GraphQLError | undefined {
  const value = key[field];
  if (typeof value === type) {
    product[field] = value;
    product[derived] = compute(value as never);
  } else if (field in key && value !== undefined) {
    return new GraphQLError(`Product.${field} must be a ${type}`);
  }
  return undefined;
}

export default ({ products }: { products: Product[] }) => {
  const find = (id: string) => products.find((p) => p.id === id);
  const derived = (rules: Array<[field: string, type: string, derived: string, compute: (value: never) => unknown]>) => (key: { id: string } & Record<string, unknown>) => {
    if (!find(key.id)) return null;
    const product: Record<string, unknown> = { __typename: 'Product', id: key.id };
    for (const [field, type, name, compute] of rules) {
      const error = derive(key, product, field, type, name, compute);
      if (error) return error;
    }
    return product;
  };
  return {
    a: { Product: { __resolveReference: ({ id }: { id: string }) => (find(id) ? { id, price: find(id)!.price } : null) } },
    b: {
      Query: { product: () => ({ id: products[0]!.id, hasDiscount: products[0]!.hasDiscount }) },
      Product: { __resolveReference: ({ id }: { id: string }) => (find(id) ? { id, hasDiscount: find(id)!.hasDiscount } : null) },
    },
    c: {
      Product: {
        __resolveReference: derived([
          ['price', 'number', 'isExpensive', (price: number) => price > 500],
          ['hasDiscount', 'boolean', 'isExpensiveWithDiscount', (hasDiscount: boolean) => !hasDiscount],
        ]),
      },
    },
    d: {
      Product: {
        __resolveReference: derived([
          ['isExpensive', 'boolean', 'canAfford', (isExpensive: boolean) => !isExpensive],
          ['isExpensiveWithDiscount', 'boolean', 'canAffordWithDiscount', (isExpensive: boolean) => !isExpensive],
        ]),
      },
    },
  };
};
