import { erasureEntityResolvers } from '@voiceassist/subgraph-server/erasure-entities';
import type { FlagsContext } from '../context.js';
import { FeatureFlag } from './FeatureFlag.js';
import { FlagChange } from './FlagChange.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import type { Resolvers } from './resolvers-types.js';
import { ScheduledFlagChange } from './ScheduledFlagChange.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  FeatureFlag,
  FlagChange,
  ScheduledFlagChange,
  ...erasureEntityResolvers('flags', (ctx: FlagsContext) => ctx.flags.erasure),
};
