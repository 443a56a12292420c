// parent-entity-call-complex: Product's category spread over subgraphs; values derive from ids.
export default () => ({
  a: { Product: { __resolveReference: ({ id }: { id: string }) => ({ id, category: { details: `Details for Product#${id}` } }) } },
  b: { Product: { __resolveReference: ({ id }: { id: string }) => ({ id, category: { id: 3 } }) } },
  c: { Category: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `Category#${id}` }) } },
  d: {
    Query: { productFromD: (_: unknown, { id }: { id: string }) => ({ id, name: `Product#${id}` }) },
    Product: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `Product#${id}` }) },
  },
});
