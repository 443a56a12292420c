// simple-override: Post.createdAt overridden from a to b; a's answer is "NEVER".
import { postsFeeds } from './posts-feeds.js';

export default ({ posts }: { posts: Array<{ id: string; createdAt: string }> }) => {
  const { a, b } = postsFeeds(posts);
  return { a: { ...a, Post: { ...a.Post, createdAt: () => 'NEVER' } }, b };
};
