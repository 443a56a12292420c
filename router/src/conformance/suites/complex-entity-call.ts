// complex-entity-call: ProductList keyed by its products' composite keys, Product keyed by
// id, id pid, and id pid with its category's id and tag.
interface Product {
  id: string;
  pid: string;
  categoryId: string;
  price: number;
}
interface Category {
  id: string;
  tag: string;
  mainProduct: string;
}
type CategorisedKey = { id: string; pid: string; category: { id: string; tag: string } };

export default ({ products, categories }: { products: Product[]; categories: Category[] }) => {
  const categoryOf = (product: Product) => categories.find((c) => c.id === product.categoryId);
  const samePair = (p: Product, key: { id: string; pid: string }) => p.id === key.id && p.pid === key.pid;
  // The price subgraph only knows a product through its category's id and tag as well.
  const matchesCategorised = (p: Product, key: CategorisedKey) => {
    const category = categoryOf(p);
    return samePair(p, key) && category?.id === key.category.id && category.tag === key.category.tag;
  };
  const categoryById = ({ id }: { id: string }) => categories.find((c) => c.id === id);
  return {
    link: {
      Product: {
        __resolveReference: (key: { id: string; pid?: string }) => products.find((p) => p.id === key.id && (key.pid === undefined || p.pid === key.pid)),
      },
    },
    list: {
      ProductList: {
        __resolveReference: (key: { products: Array<{ id: string; pid: string }> }) => {
          const listed = products.filter((p) => key.products.some((k) => samePair(p, k)));
          return { products: listed, first: listed[0], selected: listed[1] };
        },
      },
      Product: { __resolveReference: (key: { id: string; pid: string }) => products.find((p) => samePair(p, key)) },
    },
    price: {
      Product: {
        __resolveReference: (key: CategorisedKey) => products.find((p) => matchesCategorised(p, key)),
        price: (product: Product) => ({ price: product.price }),
        category: categoryOf,
      },
      Category: { __resolveReference: categoryById },
      ProductList: {
        __resolveReference: (key: { products: CategorisedKey[]; selected: { id: string } }) => {
          const listed = products.filter((p) => key.products.some((k) => matchesCategorised(p, k)));
          return { products: listed, first: listed[0], selected: products.find((p) => p.id === key.selected.id) };
        },
      },
    },
    products: {
      Query: { topProducts: () => ({ products }) },
      ProductList: { __resolveReference: (key: { products: Array<{ id: string }> }) => ({ products: products.filter((p) => key.products.some((k) => k.id === p.id)) }) },
      Product: { __resolveReference: ({ id }: { id: string }) => products.find((p) => p.id === id), category: categoryOf },
      Category: { __resolveReference: categoryById, mainProduct: (category: Category) => products.find((p) => p.id === category.mainProduct) },
    },
  };
};
