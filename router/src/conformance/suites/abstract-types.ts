// abstract-types: Book and Magazine implement Product across seven subgraphs; unions of
// publishers, interfaces with @requires (delivery needs dimensions, reviewsOfSimilar needs
// similar { id }), and users keyed by email.
interface Product {
  __typename: string;
  id: string;
  sku: string;
  title: string;
  createdBy: string;
  dimensions: { size: string; weight: number };
  publisher: unknown;
  hidden: boolean;
}
interface Data {
  agencies: Array<{ id: string }>;
  books: Product[];
  magazines: Product[];
  products: Product[];
  reviews: Array<{ id: number; body: string; productId: string; score: number }>;
  users: Array<{ id: string; email: string; name: string }>;
}
type Dimensions = { size: string; weight: number };

export default ({ agencies, books, magazines, products, reviews, users }: Data) => {
  const inProducts = (p: Product) => ({ __typename: p.__typename, id: p.id, sku: p.sku, dimensions: p.dimensions, createdBy: p.createdBy, hidden: p.hidden, publisherType: p.publisher });
  const withTitle = (p: Product) => ({ __typename: p.__typename, id: p.id, title: p.title });
  const byId = (list: Product[], shape: (p: Product) => object) => ({ id }: { id: string }) => {
    const found = list.find((p) => p.id === id);
    return found ? shape(found) : null;
  };
  const creator = ({ createdBy }: { createdBy: string }) => {
    const found = users.find((u) => u.id === createdBy);
    return found ? { __typename: 'User', id: found.id, email: found.email } : null;
  };
  const productsSide = (list: Product[]) => ({
    __resolveReference: byId(list, inProducts),
    similar: ({ id }: { id: string }) => list.filter((p) => p.id !== id).map(inProducts),
    createdBy: creator,
  });
  const createdCount = ({ id }: { id: string }) => products.filter((p) => p.createdBy === id).length;
  const userByEmail = (shape: (u: Data['users'][number]) => object) => ({ email }: { email: string }) => {
    const found = users.find((u) => u.email === email);
    return found ? shape(found) : null;
  };
  // inventory holds only the dimensions that came with the reference (@requires).
  const inventorySide = (list: Product[]) => ({
    __resolveReference: (key: { id: string; dimensions?: Dimensions }) => {
      const found = list.find((p) => p.id === key.id);
      return found ? { __typename: found.__typename, id: found.id, dimensions: key.dimensions } : null;
    },
    delivery: ({ dimensions }: { dimensions?: Dimensions }, { zip }: { zip?: string }) => {
      if (!zip || !dimensions) return null;
      if (dimensions.size === 'small' && dimensions.weight < 1) return { estimatedDelivery: '1 day', fastestDelivery: 'same day' };
      if (dimensions.size === 'large' && dimensions.weight >= 1) return { estimatedDelivery: '3 days', fastestDelivery: '2 days' };
      return null;
    },
  });
  const review = (r: Data['reviews'][number]) => {
    const product = products.find((p) => p.id === r.productId);
    return { __typename: 'Review', id: r.id, body: r.body, product: product ? { __typename: product.__typename, id: product.id } : null };
  };
  const reviewsOf = (productId: string) => reviews.filter((r) => r.productId === productId);
  const reviewsSide = {
    __resolveReference: (key: { id: string; similar?: { id: string[] } }) => {
      const found = products.find((p) => p.id === key.id);
      return found ? { __typename: found.__typename, id: found.id, similar: key.similar } : null;
    },
    reviews: ({ id }: { id: string }) => reviewsOf(id).map(review),
    reviewsCount: ({ id }: { id: string }) => reviewsOf(id).length,
    reviewsScore: ({ id }: { id: string }) => {
      const own = reviewsOf(id);
      return own.length === 0 ? 0 : own.reduce((sum, r) => sum + r.score, 0) / own.length;
    },
    reviewsOfSimilar: ({ __typename, similar }: { __typename: string; similar: { id: string[] } }) =>
      products.filter((p) => p.__typename === __typename && similar.id.includes(p.id)).flatMap((p) => reviewsOf(p.id).map(review)),
  };
  return {
    agency: {
      Agency: { __resolveReference: ({ id }: { id: string }) => agencies.find((a) => a.id === id) },
      Group: { __resolveReference: ({ id }: { id: string }) => ({ id, name: `Group ${id}`, email: `group${id}@example.com` }) },
    },
    books: { Query: { books: () => books.map(withTitle) }, Book: { __resolveReference: byId(books, withTitle) } },
    inventory: { Book: inventorySide(books), Magazine: inventorySide(magazines) },
    magazines: { Query: { magazines: () => magazines.map(withTitle) }, Magazine: { __resolveReference: byId(magazines, withTitle) } },
    products: {
      Query: {
        products: () => products.map(inProducts),
        similar: (_: unknown, { id }: { id: string }) => {
          const product = products.find((p) => p.id === id);
          return product ? products.filter((p) => p.id !== id && p.__typename === product.__typename).map(inProducts) : [];
        },
      },
      Book: productsSide(books),
      Magazine: productsSide(magazines),
      User: { __resolveReference: userByEmail((u) => ({ __typename: 'User', id: u.id, email: u.email })), totalProductsCreated: createdCount },
    },
    reviews: {
      Query: { review: (_: unknown, { id }: { id: number }) => (reviews.find((r) => r.id === id) ? review(reviews.find((r) => r.id === id)!) : null) },
      Book: reviewsSide,
      Magazine: reviewsSide,
    },
    users: {
      User: { __resolveReference: userByEmail((u) => ({ __typename: 'User', ...u })), totalProductsCreated: createdCount },
    },
  };
};
