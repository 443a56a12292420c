// The two feeds of simple-override and unavailable-override: a and b both list posts, aFeed
// the second and bFeed the first.
interface Post {
  id: string;
  createdAt: string;
}

export function postsFeeds(posts: Post[]) {
  const post = { __resolveReference: ({ id }: { id: string }) => posts.find((p) => p.id === id) ?? null };
  return {
    a: { Query: { feed: () => posts, aFeed: () => [posts[1]] }, Post: post },
    b: { Query: { feed: () => posts, bFeed: () => [posts[0]] }, Post: post },
  };
}
