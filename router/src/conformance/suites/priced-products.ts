// The products of requires-with-argument and requires-with-argument-conflict: b serves them (price
// takes a currency), a estimates shipping from the price and weight its @requires fetched.
export interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
  category: { averagePrice: number };
}

export const shippingEstimate = ({ price, weight }: { price: number; weight: number }) => price * weight * 10;

export function pricedProducts(products: Product[]) {
  const product = (upc: string) => products.find((p) => p.upc === upc);
  return {
    a: {
      Product: {
        __resolveReference: (key: { upc: string; price?: number; weight?: number }) => {
          const found = product(key.upc);
          if (!found) return null;
          const required = 'price' in key && 'weight' in key ? { price: key.price, weight: key.weight } : {};
          return { upc: found.upc, category: found.category, ...required };
        },
        shippingEstimate,
        isExpensiveCategory: ({ category }: { category: { averagePrice: number } }) => category.averagePrice > 11,
      },
    },
    b: {
      Query: { products: () => products.map((p) => ({ ...p })) },
      Product: { __resolveReference: ({ upc }: { upc: string }) => (product(upc) ? { ...product(upc) } : null) },
    },
  };
}
