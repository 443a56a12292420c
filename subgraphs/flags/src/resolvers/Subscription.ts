import { badUserInput } from '@voiceassist/errors';
import { mapStream } from '../change-streams.js';
import { streamItemForCaller, type FlagChangeEvent } from '../client-view.js';
import { callerOf } from '../context.js';
import { validateKeyList } from '../validation.js';
import type { SubscriptionResolvers } from './resolvers-types.js';

export const Subscription = {
  flagChanges: {
    // Anonymous callers may subscribe too (they see PUBLIC flags); visibility is applied per event.
    subscribe: async (_, args, ctx) => {
      const keys = validateKeyList(args.keys, 'keys');
      const afterVersion = args.afterVersion ?? undefined;
      if (afterVersion !== undefined && afterVersion < 0) throw badUserInput('afterVersion must not be negative', 'afterVersion');
      const caller = callerOf(ctx, args);
      const keySet = keys ? new Set(keys) : undefined;
      const stream = await ctx.flags.streams.open(afterVersion);
      return mapStream(stream, (item) => streamItemForCaller(item, caller, keySet));
    },
    resolve: (event: FlagChangeEvent) => event,
  },
} satisfies SubscriptionResolvers;
