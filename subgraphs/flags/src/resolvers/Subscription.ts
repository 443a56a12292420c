import { badUserInput } from '@voiceassist/errors';
import { mapStream } from '../change-streams.js';
import { streamItemForCaller, type FlagChangeEvent } from '../client-view.js';
import { callerOf, type FlagsContext } from '../context.js';
import { validateKeyList } from '../validation.js';

interface FlagChangesArgs {
  keys?: string[] | null;
  afterVersion?: number | null;
  clientId?: string | null;
  attributes?: unknown;
}

export const Subscription = {
  flagChanges: {
    // Anonymous callers may subscribe too (they see PUBLIC flags); visibility is applied per event.
    subscribe: async (_: unknown, args: FlagChangesArgs, ctx: FlagsContext) => {
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
};
