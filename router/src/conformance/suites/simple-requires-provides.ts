// simple-requires-provides: the classic accounts/inventory/products/reviews graph: inventory's
// shippingEstimate requires price and weight, reviews provides the author's username.
interface Review {
  id: string;
  body: string;
  authorId: string;
  productUpc: string;
}
interface Data {
  inStock: string[];
  products: Array<{ upc: string; name: string; price: number; weight: number }>;
  reviews: Review[];
  users: Array<{ id: string; username: string; name: string }>;
}

export default ({ inStock, products, reviews, users }: Data) => {
  const user = (id: string) => users.find((u) => u.id === id);
  const product = (upc: string) => products.find((p) => p.upc === upc);
  const estimate = ({ price, weight }: { price: number; weight: number }) => price * weight * 10;
  return {
    accounts: {
      Query: { me: () => ({ ...users[0]! }) },
      User: { __resolveReference: ({ id }: { id: string }) => (user(id) ? { ...user(id)! } : null) },
    },
    inventory: {
      Product: {
        __resolveReference: (key: { upc: string; price?: number; weight?: number }) =>
          product(key.upc) ? ('weight' in key && 'price' in key ? { upc: key.upc, weight: key.weight, price: key.price } : { upc: key.upc }) : null,
        shippingEstimate: estimate,
        shippingEstimateTag: (p: { upc: string; price: number; weight: number }) => `#${p.upc}#${estimate(p)}#`,
        inStock: ({ upc }: { upc: string }) => inStock.includes(upc),
      },
    },
    products: {
      Query: { products: () => products.map((p) => ({ ...p })) },
      Product: { __resolveReference: ({ upc }: { upc: string }) => (product(upc) ? { ...product(upc)! } : null) },
    },
    reviews: {
      Review: {
        __resolveReference: ({ id }: { id: string }) => reviews.find((r) => r.id === id) ?? null,
        author: ({ authorId }: Review) => (user(authorId) ? { id: authorId, username: user(authorId)!.username } : null),
        product: ({ productUpc }: Review) => (product(productUpc) ? { upc: productUpc, reviews: reviews.filter((r) => r.productUpc === productUpc) } : null),
      },
      User: {
        __resolveReference: ({ id }: { id: string }) => (user(id) ? { id, username: user(id)!.username } : null),
        reviews: ({ id }: { id: string }) => reviews.filter((r) => r.authorId === id),
      },
      Product: {
        __resolveReference: ({ upc }: { upc: string }) => ({ upc }),
        reviews: ({ upc }: { upc: string }) => reviews.filter((r) => r.productUpc === upc),
      },
    },
  };
};
