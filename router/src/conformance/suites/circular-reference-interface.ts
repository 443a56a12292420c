// circular-reference-interface: a book's samePriceProduct is another product of its price.
interface Book {
  __typename: string;
  id: string;
  price: number;
}

export default ({ books }: { books: Book[] }) => {
  const shape = ({ __typename, id, price }: Book) => ({ __typename, id, price });
  return {
    a: {
      Query: { product: () => shape(books[0]!) },
      Book: {
        samePriceProduct: ({ id, price }: { id: string; price: number }) => {
          const same = books.find((b) => b.price === price && b.id !== id);
          return same ? shape(same) : null;
        },
      },
    },
    b: {
      Book: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = books.find((b) => b.id === id);
          return found ? shape(found) : null;
        },
      },
    },
  };
};
