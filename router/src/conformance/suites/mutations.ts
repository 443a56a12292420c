// mutations: root mutation fields run in order across subgraphs and share state (numbers
// per request id, products, categories); b's product references consume the product, so an
// entity fetched twice shows up as unavailable.
interface Product {
  id: string;
  name: string;
  price?: number;
}

export default () => {
  let products: Product[] = [];
  const categories: Array<{ id: string; name: string }> = [];
  const numbers = new Map<string, number>();
  const seedProduct = () => {
    if (!products.some((p) => p.id === 'p1')) products.push({ id: 'p1', name: 'p1-name', price: 9.99 });
  };
  const take = (id: string) => {
    const found = products.find((p) => p.id === id);
    products = products.filter((p) => p.id !== id);
    return found;
  };
  const addCategory = (_: unknown, { name, requestId }: { name: string; requestId: string }) => {
    const id = `c-added-${requestId}`;
    if (categories.some((c) => c.id === id)) throw new Error('Category with this requestId was already added');
    const category = { id, name };
    categories.push(category);
    return category;
  };
  const setNumber = (requestId: string, value: number) => {
    numbers.set(requestId, value);
    return value;
  };
  const category = (id: string) => categories.find((c) => c.id === id);
  return {
    a: {
      Query: {
        product: (_: unknown, { id }: { id: string }) => {
          seedProduct();
          const found = products.find((p) => p.id === id);
          return found ? { ...found } : null;
        },
        products: () => {
          seedProduct();
          return products;
        },
      },
      Mutation: {
        multiply: (_: unknown, { by, requestId }: { by: number; requestId: string }) => setNumber(requestId, (numbers.get(requestId) ?? 0) * by),
        addProduct: (_: unknown, { input }: { input: { name: string; price: number } }) => {
          const product = { id: `p-added-${products.length}`, name: input.name, price: input.price };
          products.push(product);
          return product;
        },
        addCategory,
      },
      Product: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = take(id);
          return found ? { ...found } : null;
        },
      },
      Category: { __resolveReference: ({ id }: { id: string }) => (category(id) ? { id } : null) },
    },
    b: {
      Mutation: {
        delete: (_: unknown, { requestId }: { requestId: string }) => {
          const value = numbers.get(requestId) ?? 0;
          numbers.delete(requestId);
          return value;
        },
        addCategory,
      },
      Product: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = take(id);
          if (!found) return null;
          return typeof found.price === 'number' ? { id, isAvailable: true, price: found.price } : { id, isAvailable: false };
        },
        isExpensive: ({ price }: { price?: number }) => {
          if (typeof price !== 'number') throw new Error('Price is not available');
          return price > 100;
        },
      },
      Category: { __resolveReference: ({ id }: { id: string }) => (category(id) ? { ...category(id)! } : null) },
    },
    c: {
      Mutation: { add: (_: unknown, { num, requestId }: { num: number; requestId: string }) => setNumber(requestId, (numbers.get(requestId) ?? 0) + num) },
    },
  };
};
