// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { UsageBucket } from '../analytics.js';
import type { ConversationRow, MessageRow } from '../db/schema.js';
import type { MessageStreamEvent } from './Subscription.js';
import type { UserReference } from './User.js';

export type ConversationMapper = ConversationRow;
export type MessageMapper = MessageRow;
export type UserMapper = UserReference;
export type UsageAnalyticsBucketMapper = UsageBucket;
export type MessageStreamEventMapper = MessageStreamEvent;
