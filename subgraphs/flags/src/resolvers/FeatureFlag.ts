import { isClientVisible } from '../visibility.js';
import type { FeatureFlagResolvers } from './resolvers-types.js';

export const FeatureFlag = {
  /** The same as featureFlag(key): ADMIN+ (shield, on every field) and never INTERNAL. */
  __resolveReference: async (reference, ctx) => {
    const flag = await ctx.flags.store.get(reference.key);
    return flag && isClientVisible(flag.visibility) ? flag : null;
  },
} satisfies FeatureFlagResolvers;
