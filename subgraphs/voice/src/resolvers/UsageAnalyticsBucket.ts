import type { UsageAnalyticsBucketResolvers } from './resolvers-types.js';

// Conversation owns the buckets; voice adds the minutes dictated in each (ADMIN+ by permissions).
export const UsageAnalyticsBucket = {
  __resolveReference: (ref) => ref,
  voiceMinutes: (ref, _args, ctx) => ctx.voiceMinutes.load(ref),
} satisfies UsageAnalyticsBucketResolvers;
