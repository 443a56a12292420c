// unavailable-override: an @override from a subgraph that is not in the supergraph.
import { postsFeeds } from './posts-feeds.js';

export default ({ posts }: { posts: Array<{ id: string; createdAt: string }> }) => postsFeeds(posts);
