// null-keys: b cannot resolve book 3 (null), so c must not be called with a null key.
interface Book {
  id: string;
  upc: string;
  author: { __typename: string; id: string; name: string };
}

export default ({ books }: { books: Book[] }) => {
  /** The book a reference names, by a non-null id or upc; an invalid reference is an error. */
  const referenced = (reference: { id?: string | null; upc?: string | null }) => {
    const found = reference.upc != null ? books.find((b) => b.upc === reference.upc) : reference.id != null ? books.find((b) => b.id === reference.id) : undefined;
    if (!found) throw new Error('Invalid reference');
    return found;
  };
  return {
    a: {
      Query: { bookContainers: () => books.map(({ upc }) => ({ book: { upc } })) },
      Book: { __resolveReference: (reference: { upc: string }) => ({ __typename: 'Book', upc: referenced(reference).upc }) },
    },
    b: {
      Book: {
        __resolveReference: (reference: { id?: string; upc?: string }) => {
          const found = referenced(reference);
          return found.id === '3' ? null : { __typename: 'Book', id: found.id, upc: found.upc };
        },
      },
    },
    c: {
      Book: {
        __resolveReference: (reference: { id?: string | null; upc?: string | null }) => {
          const found = referenced(reference);
          return { __typename: 'Book', id: found.id, author: { ...found.author } };
        },
      },
    },
  };
};
