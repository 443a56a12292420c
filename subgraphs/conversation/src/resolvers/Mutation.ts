import { viewerOf, type ConversationContext } from '../context.js';
import { checkContent, checkTitle } from '../validation.js';
import type { RatingInput } from '../feedback.js';
import { ownedConversation, ownedMessage } from './access.js';

const callerOf = (ctx: ConversationContext) => ({ authorization: ctx.authorization, requestId: ctx.requestId });

export const Mutation = {
  createConversation: (_: unknown, { title }: { title?: string | null }, ctx: ConversationContext) =>
    ctx.services.store.create(viewerOf(ctx).userId, title === null || title === undefined ? undefined : checkTitle(title)),

  renameConversation: async (_: unknown, { id, title }: { id: string; title: string }, ctx: ConversationContext) => {
    const conversation = await ownedConversation(ctx, id);
    return ctx.services.store.update(conversation.id, { title: checkTitle(title), untitled: false });
  },

  archiveConversation: async (_: unknown, { id, archived }: { id: string; archived: boolean }, ctx: ConversationContext) => {
    const conversation = await ownedConversation(ctx, id);
    return ctx.services.store.update(conversation.id, { archived });
  },

  deleteConversation: async (_: unknown, { id }: { id: string }, ctx: ConversationContext) => {
    await ctx.services.chat.deleteConversation(await ownedConversation(ctx, id));
    return true;
  },

  sendMessage: async (_: unknown, args: { conversationId: string; content: string; useKnowledge?: boolean | null }, ctx: ConversationContext) => {
    const viewer = viewerOf(ctx);
    const content = checkContent(args.content);
    const conversation = await ownedConversation(ctx, args.conversationId);
    return ctx.services.chat.send(viewer, conversation, content, args.useKnowledge ?? true, callerOf(ctx));
  },

  forgetMemory: async (_: unknown, { conversationId, facts }: { conversationId: string; facts?: boolean | null }, ctx: ConversationContext) => {
    const conversation = await ownedConversation(ctx, conversationId);
    await ctx.services.memory.forget(conversation.id, callerOf(ctx), facts ?? true);
    return conversation;
  },

  cancelGeneration: async (_: unknown, { messageId }: { messageId: string }, ctx: ConversationContext) =>
    ctx.services.chat.cancel(await ownedMessage(ctx, messageId)),

  regenerate: async (_: unknown, { messageId }: { messageId: string }, ctx: ConversationContext) =>
    ctx.services.chat.regenerate(viewerOf(ctx), await ownedMessage(ctx, messageId), callerOf(ctx)),

  rateMessage: async (_: unknown, { messageId, ...input }: RatingInput & { messageId: string }, ctx: ConversationContext) => {
    const message = await ownedMessage(ctx, messageId);
    ctx.loaders.rating.prime(message.id, await ctx.services.feedback.rate(message, input));
    return message;
  },
};
