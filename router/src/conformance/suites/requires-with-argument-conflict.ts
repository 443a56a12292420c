// requires-with-argument-conflict: shippingEstimate requires price in USD, shippingEstimateEUR in EUR.
interface Product {
  upc: string;
  name: string;
  price: number;
  weight: number;
  category: { averagePrice: number };
}

export default ({ products }: { products: Product[] }) => {
  const product = (upc: string) => products.find((p) => p.upc === upc);
  const shipping = ({ price, weight }: { price: number; weight: number }) => price * weight * 10;
  return {
    a: {
      Product: {
        __resolveReference: (key: { upc: string; price?: number; weight?: number }) => {
          const found = product(key.upc);
          if (!found) return null;
          const required = 'price' in key && 'weight' in key ? { price: key.price, weight: key.weight } : {};
          return { upc: found.upc, category: found.category, ...required };
        },
        shippingEstimate: shipping,
        shippingEstimateEUR: shipping,
        isExpensiveCategory: ({ category }: { category: { averagePrice: number } }) => category.averagePrice > 11,
      },
    },
    b: {
      Query: { products: () => products.map((p) => ({ ...p })) },
      Product: {
        __resolveReference: ({ upc }: { upc: string }) => (product(upc) ? { ...product(upc) } : null),
        // EUR is twice USD; any other currency is an error.
        price: ({ price }: { price: number }, { currency }: { currency: string }) => {
          if (currency === 'EUR') return price * 2;
          if (currency === 'USD') return price;
          throw new Error(`Unsupported currency ${currency}`);
        },
      },
    },
  };
};
