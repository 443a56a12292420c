import type { UsageBucket } from '../analytics.js';

export const UsageAnalyticsBucket = {
  user: (bucket: UsageBucket) => (bucket.groupBy === 'USER' ? { __typename: 'User', id: bucket.key } : null),
};
