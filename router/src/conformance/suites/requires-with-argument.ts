// requires-with-argument: fields required with arguments (price(currency: "USD"),
// comments(limit: 3)) next to the client's own use of them with other arguments.
import { pricedProducts, type Product } from './priced-products.js';

interface Comment {
  id: string;
  postId: string;
  authorId: string;
  body: string;
}
interface Data {
  products: Product[];
  posts: Array<{ id: string; body: string }>;
  comments: Comment[];
  authors: Array<{ id: string; name: string }>;
}

export default ({ products, posts, comments, authors }: Data) => {
  const post = (id: string) => posts.find((p) => p.id === id);
  const comment = (id: string) => comments.find((c) => c.id === id);
  const commentsOf = (postId: string, limit: number) => comments.filter((c) => c.postId === postId).slice(0, limit);
  return {
    ...pricedProducts(products),
    c: {
      Query: { feed: () => posts.map(({ id }) => ({ id })) },
      Post: { __resolveReference: ({ id }: { id: string }) => (post(id) ? { id } : null) },
      Comment: {
        __resolveReference: ({ id }: { id: string }) => {
          const found = comment(id);
          return found ? { id: found.id, authorId: found.authorId, body: found.body } : null;
        },
      },
    },
    d: {
      Post: {
        __resolveReference: (key: { id: string; comments?: Array<{ authorId: string }> }) => {
          if (!post(key.id)) return null;
          if (!key.comments) return { id: key.id };
          // The author is the third comment's: the @requires must have fetched exactly three.
          if (key.comments.length !== 3) throw new Error('Expected 3 comments');
          return { id: key.id, authorId: key.comments[2]!.authorId };
        },
        author: ({ authorId }: { authorId?: string }) => {
          const found = authorId ? authors.find((a) => a.id === authorId) : undefined;
          return found ? { id: found.id, name: found.name } : null;
        },
        comments: ({ id }: { id: string }, { limit }: { limit: number }) => commentsOf(id, limit).map((c) => ({ id: c.id })),
      },
      Comment: { __resolveReference: ({ id }: { id: string }) => (comment(id) ? { id } : null) },
    },
  };
};
