import type { VoiceContext } from '../context.js';
import type { UsageBucketRef } from '../voice-minutes.js';

// Conversation owns the buckets; voice adds the minutes dictated in each (ADMIN+ by permissions).
export const UsageAnalyticsBucket = {
  __resolveReference: (ref: UsageBucketRef) => ref,
  voiceMinutes: (ref: UsageBucketRef, _args: unknown, ctx: VoiceContext) => ctx.voiceMinutes.load(ref),
};
