// override-type-interface: ImagePost.createdAt moved from a to b by @override; a answers
// "NEVER" for it, so any answer from a shows the override was ignored.
import { pick } from './records.js';

interface Post {
  __typename: string;
  id: string;
  createdAt: string;
  body?: string;
}

export default ({ imagePosts, textPosts }: { imagePosts: Post[]; textPosts: Post[] }) => {
  const from =
    (posts: Post[]) =>
    ({ id }: { id: string }) => {
      const found = posts.find((p) => p.id === id);
      return found ? pick(found, 'id', 'createdAt', 'body') : null;
    };
  return {
    a: {
      Query: { feed: () => imagePosts },
      ImagePost: { __resolveReference: from(imagePosts), createdAt: () => 'NEVER' },
    },
    b: {
      Query: { anotherFeed: () => imagePosts },
      TextPost: { __resolveReference: from(textPosts) },
      ImagePost: { __resolveReference: from(imagePosts) },
    },
  };
};
