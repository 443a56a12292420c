import { badUserInput } from '@voiceassist/errors';
import type { FlagVisibility } from '@voiceassist/flags-client/evaluate';
import { evaluateForCaller } from '../client-view.js';
import { callerOf, viewerOf } from '../context.js';
import type { FlagChangeRecord } from '../store.js';
import { validateFlagKey, validateKeyList } from '../validation.js';
import { isClientVisible } from '../visibility.js';
import type { QueryResolvers } from './resolvers-types.js';

export function pageSize(first: number | null | undefined, fallback: number, max = 500): number {
  if (first === null || first === undefined) return fallback;
  if (!Number.isInteger(first) || first < 1 || first > max) throw badUserInput(`first must be between 1 and ${max}`, 'first');
  return first;
}

/** A history entry as clients may see it: sides that were INTERNAL are withheld; entries with nothing left are dropped. */
export function redactChange(change: FlagChangeRecord) {
  const hidden = (side: { visibility: FlagVisibility } | null) => side !== null && !isClientVisible(side.visibility);
  const beforeHidden = hidden(change.before);
  const afterHidden = hidden(change.after);
  if (!beforeHidden && !afterHidden) return { ...change, redacted: false };
  const before = beforeHidden ? null : change.before;
  const after = afterHidden ? null : change.after;
  return before === null && after === null ? null : { ...change, before, after, redacted: true };
}

export const Query = {
  flags: async (_, args, ctx) => {
    const keys = validateKeyList(args.keys, 'keys');
    const caller = callerOf(ctx, args);
    return evaluateForCaller(await ctx.flags.store.list(), caller, keys ? new Set(keys) : undefined);
  },

  featureFlags: async (_, __, ctx) => {
    viewerOf(ctx);
    return (await ctx.flags.store.list()).filter((flag) => isClientVisible(flag.visibility));
  },

  featureFlag: async (_, { key }, ctx) => {
    viewerOf(ctx);
    const flag = await ctx.flags.store.get(validateFlagKey(key, 'key'));
    return flag && isClientVisible(flag.visibility) ? flag : null;
  },

  flagHistory: async (_, args, ctx) => {
    viewerOf(ctx);
    const limit = pageSize(args.first, 50);
    const changes = await ctx.flags.store.history(validateFlagKey(args.key, 'key'), limit);
    return changes.map(redactChange).filter((change) => change !== null);
  },

  scheduledFlagChanges: (_, args, ctx) => {
    viewerOf(ctx);
    return ctx.flags.schedules.list({
      key: args.key ? validateFlagKey(args.key, 'key') : undefined,
      status: args.status ?? undefined,
      limit: pageSize(args.first, 100),
    });
  },
} satisfies QueryResolvers;
