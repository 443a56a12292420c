import type { UsageAnalyticsBucketResolvers } from './resolvers-types.js';

export const UsageAnalyticsBucket = {
  user: (bucket) => (bucket.groupBy === 'USER' ? { __typename: 'User', id: bucket.key } : null),
} satisfies UsageAnalyticsBucketResolvers;
