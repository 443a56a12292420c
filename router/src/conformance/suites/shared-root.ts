// shared-root: three subgraphs answer Query.product(s), each with its own fields.
interface Data {
  product: { id: string; name: unknown; category: unknown; price: unknown };
}

export default ({ product }: Data) => {
  const only = (field: 'name' | 'category' | 'price') => {
    const answer = () => ({ id: product.id, [field]: product[field] });
    return { Query: { product: answer, products: () => [answer()] } };
  };
  return { category: only('category'), name: only('name'), price: only('price') };
};
