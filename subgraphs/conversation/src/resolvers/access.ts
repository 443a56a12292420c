import { notFound } from '@voiceassist/errors';
import { viewerOf, type ConversationContext } from '../context.js';
import type { OwnedMessage } from '../conversations.js';
import type { ConversationRow } from '../db/schema.js';
import { isUuid } from '@voiceassist/database';

/** The caller's conversation; NOT_FOUND when it does not exist or belongs to someone else (no existence leak). */
export async function ownedConversation(ctx: ConversationContext, id: string): Promise<ConversationRow> {
  const viewer = viewerOf(ctx);
  const row = isUuid(id) ? await ctx.loaders.conversation.load(id) : null;
  if (!row || row.ownerId !== viewer.userId) throw notFound('Conversation');
  return row;
}

/** The caller's message, read fresh (not from the request's loader); NOT_FOUND like conversations. */
/** A conversation that was owned a moment ago and is gone now (deleted meanwhile) is NOT_FOUND too. */
export function stillThere(row: ConversationRow | null | undefined): ConversationRow {
  if (!row) throw notFound('Conversation');
  return row;
}

export async function ownedMessage(ctx: ConversationContext, id: string): Promise<OwnedMessage> {
  const viewer = viewerOf(ctx);
  const [row] = isUuid(id) ? await ctx.services.store.messagesByIds([id]) : [];
  if (!row || row.ownerId !== viewer.userId) throw notFound('Message');
  return row;
}
