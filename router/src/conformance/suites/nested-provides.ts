// nested-provides: category's products provide categories { id name subCategories { id name } }
// several levels deep, so the whole query is answered by the category subgraph alone.
interface Category {
  id: string;
  name: string;
  subCategories: string[];
}

export default ({ products, categories }: { products: Array<{ id: string; categories: string[] }>; categories: Category[] }) => {
  const category = (id: string) => categories.find((c) => c.id === id);
  const product = ({ id }: { id: string }) => (products.some((p) => p.id === id) ? { id } : null);
  const withSubCategoryIds = (id: string) => (category(id) ? { id, subCategories: category(id)!.subCategories } : null);
  return {
    'all-products': { Product: { __resolveReference: product } },
    category: {
      Query: {
        products: () =>
          products.map((p) => ({
            id: p.id,
            categories: p.categories.map((id) => {
              const found = category(id);
              if (!found) return null;
              return { id, name: found.name, subCategories: found.subCategories.map((sub) => (category(sub) ? { id: sub, name: category(sub)!.name } : null)) };
            }),
          })),
      },
      Product: { __resolveReference: product },
      // Deliberately without name: it is only known where provided.
      Category: { __resolveReference: ({ id }: { id: string }) => (category(id) ? { id } : null) },
    },
    subcategories: {
      Product: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = products.find((p) => p.id === id);
          return found ? { id, categories: found.categories } : null;
        },
        categories: ({ categories: ids }: { categories: string[] }) => ids.map(withSubCategoryIds),
      },
      Category: {
        __resolveReference: ({ id }: { id: string }) => withSubCategoryIds(id),
        subCategories: ({ subCategories }: { subCategories: string[] }) => subCategories.map(withSubCategoryIds),
      },
    },
  };
};
