import DataLoader from 'dataloader';
import { hasAtLeast, type Viewer } from '@voiceassist/auth';
import { unauthenticated } from '@voiceassist/errors';
import type { RequestContext } from '@voiceassist/subgraph-server';
import type { Chat } from './chat.js';
import type { ConversationStore, OwnedMessage } from './conversations.js';
import type { ErasureEntitySource } from '@voiceassist/subgraph-server/erasure-entities';
import type { Analytics } from './analytics.js';
import type { ConversationRow, MessageRatingRow, MessageRow } from './db/schema.js';
import type { Feedback } from './feedback.js';
import type { Generations } from './generation.js';
import type { Memory } from './memory.js';
import type { TokenLog } from './token-log.js';
import type { Usage, UsageSummary } from './usage.js';

export interface ConversationServices {
  store: ConversationStore;
  chat: Chat;
  usage: Usage;
  generations: Generations;
  tokenLog: TokenLog;
  feedback: Feedback;
  analytics: Analytics;
  memory: Memory;
  /** This subgraph's part of a person's erasure status and data export. */
  erasure: ErasureEntitySource;
}

/** Pages of messages are batched per (page size, position) across the conversations of one request. */
interface MessagePageKey {
  conversationId: string;
  limit: number;
  afterPosition: number | undefined;
}

export interface ConversationContext extends RequestContext {
  services: ConversationServices;
  /** Per request (per operation over WebSocket), so entity lookups batch and never go stale across requests. */
  loaders: {
    conversation: DataLoader<string, ConversationRow | null>;
    message: DataLoader<string, OwnedMessage | null>;
    messagePage: DataLoader<MessagePageKey, MessageRow[], string>;
    usage: DataLoader<{ userId: string; budget: number }, UsageSummary, string>;
    rating: DataLoader<string, MessageRatingRow | null>;
  };
}

export function conversationContext(services: ConversationServices) {
  const { store, usage, feedback } = services;
  return (base: RequestContext): ConversationContext => ({
    ...base,
    services,
    loaders: {
      conversation: new DataLoader(async (ids) => {
        const rows = new Map((await store.byIds(ids)).map((row) => [row.id, row]));
        return ids.map((id) => rows.get(id) ?? null);
      }),
      message: new DataLoader(async (ids) => {
        const rows = new Map((await store.messagesByIds(ids)).map((row) => [row.id, row]));
        return ids.map((id) => rows.get(id) ?? null);
      }),
      messagePage: new DataLoader(
        async (keys) => {
          // One query per distinct (limit, after): in practice one for a whole list.
          const groups = new Map<string, MessagePageKey[]>();
          for (const key of keys) {
            const group = `${key.limit}:${key.afterPosition ?? ''}`;
            groups.set(group, [...(groups.get(group) ?? []), key]);
          }
          const pages = new Map<string, MessageRow[]>();
          for (const group of groups.values()) {
            const { limit, afterPosition } = group[0]!;
            const rows = await store.messagePages([...new Set(group.map((k) => k.conversationId))], limit, afterPosition);
            for (const row of rows) {
              const id = `${row.conversationId}:${limit}:${afterPosition ?? ''}`;
              pages.set(id, [...(pages.get(id) ?? []), row]);
            }
          }
          return keys.map((k) => pages.get(`${k.conversationId}:${k.limit}:${k.afterPosition ?? ''}`) ?? []);
        },
        { cacheKeyFn: (k) => `${k.conversationId}:${k.limit}:${k.afterPosition ?? ''}` },
      ),
      usage: new DataLoader(
        async (keys) => {
          const spent = await usage.spent([...new Set(keys.map((k) => k.userId))]);
          return keys.map((k) => usage.summary(spent.get(k.userId), k.budget));
        },
        { cacheKeyFn: (k) => k.userId },
      ),
      rating: new DataLoader(async (ids) => {
        const rows = new Map((await feedback.ofMessages(ids)).map((row) => [row.messageId, row]));
        return ids.map((id) => rows.get(id) ?? null);
      }),
    },
  });
}

/** Shield guards these fields already; this keeps the resolvers honest if a rule is ever loosened. */
export function viewerOf(ctx: { viewer: Viewer | null }): Viewer {
  if (!ctx.viewer) throw unauthenticated();
  return ctx.viewer;
}

export const isAdmin = (viewer: Viewer) => hasAtLeast(viewer.role, 'ADMIN');
