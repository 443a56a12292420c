import type { FlagsContext } from '../context.js';
import { isClientVisible } from '../visibility.js';

export const FeatureFlag = {
  /** The same as featureFlag(key): ADMIN+ (shield, on every field) and never INTERNAL. */
  __resolveReference: async (reference: { key: string }, ctx: FlagsContext) => {
    const flag = await ctx.flags.store.get(reference.key);
    return flag && isClientVisible(flag.visibility) ? flag : null;
  },
};
