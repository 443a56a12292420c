// Parent types of this subgraph's resolvers: `<GraphQL type>Mapper` becomes that type's parent and
// result type in resolvers-types.ts (`pnpm codegen:resolvers`).
import type { Role } from '@voiceassist/auth';
import type { OwnedMessage } from '../conversations.js';
import type { UsageBucket } from '../analytics.js';
import type { ConversationRow, MessageRow } from '../db/schema.js';

export interface MessageStreamEvent {
  messageId: string;
  index: number;
  delta: string;
  done: boolean;
  message: OwnedMessage | null;
  error: { code: string; message: string } | null;
  /** The trace its token was logged in (while tracing): the event's delivery continues it. */
  trace?: string;
}

/** identity's user as the router hands it over: the id, and the role when a field requires it. */
export interface UserReference {
  id: string;
  role?: Role | string;
}

export type ConversationMapper = ConversationRow;
export type MessageMapper = MessageRow;
export type UserMapper = UserReference;
export type UsageAnalyticsBucketMapper = UsageBucket;
export type MessageStreamEventMapper = MessageStreamEvent;
