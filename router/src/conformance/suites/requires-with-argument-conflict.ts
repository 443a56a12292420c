// requires-with-argument-conflict: shippingEstimate requires price in USD, shippingEstimateEUR in EUR.
import { pricedProducts, shippingEstimate, type Product } from './priced-products.js';

export default ({ products }: { products: Product[] }) => {
  const { a, b } = pricedProducts(products);
  return {
    a: { Product: { ...a.Product, shippingEstimateEUR: shippingEstimate } },
    b: {
      ...b,
      Product: {
        ...b.Product,
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
