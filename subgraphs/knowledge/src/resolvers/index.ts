import { erasureEntityResolvers } from '@voiceassist/subgraph-server/erasure-entities';
import type { KnowledgeContext } from '../context.js';
import { Citation } from './Citation.js';
import { Document } from './Document.js';
import { Mutation } from './Mutation.js';
import { Query } from './Query.js';
import type { Resolvers } from './resolvers-types.js';
import { Subscription } from './Subscription.js';

export const resolvers: Resolvers = {
  Query,
  Mutation,
  Subscription,
  Document,
  Citation,
  ...erasureEntityResolvers('knowledge', (ctx: KnowledgeContext) => ctx.knowledge.erasure),
};
