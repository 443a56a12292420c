import { viewerOf, type ConversationContext } from '../context.js';
import { checkContent, checkTitle } from '../validation.js';
import { ownedConversation, ownedMessage, stillThere } from './access.js';
import type { MutationResolvers } from './resolvers-types.js';

const callerOf = (ctx: ConversationContext) => ({ authorization: ctx.authorization, requestId: ctx.requestId });

export const Mutation = {
  createConversation: (_, { title }, ctx) =>
    ctx.services.store.create(viewerOf(ctx).userId, title === null || title === undefined ? undefined : checkTitle(title)),

  renameConversation: async (_, { id, title }, ctx) => {
    const conversation = await ownedConversation(ctx, id);
    return stillThere(await ctx.services.store.update(conversation.id, { title: checkTitle(title), untitled: false }));
  },

  archiveConversation: async (_, { id, archived }, ctx) => {
    const conversation = await ownedConversation(ctx, id);
    return stillThere(await ctx.services.store.update(conversation.id, { archived }));
  },

  deleteConversation: async (_, { id }, ctx) => {
    await ctx.services.chat.deleteConversation(await ownedConversation(ctx, id));
    return true;
  },

  sendMessage: async (_, args, ctx) => {
    const viewer = viewerOf(ctx);
    const content = checkContent(args.content);
    const conversation = await ownedConversation(ctx, args.conversationId);
    return ctx.services.chat.send(viewer, conversation, content, args.useKnowledge ?? true, callerOf(ctx));
  },

  forgetMemory: async (_, { conversationId, facts }, ctx) => {
    const conversation = await ownedConversation(ctx, conversationId);
    await ctx.services.memory.forget(conversation.id, callerOf(ctx), facts ?? true);
    return conversation;
  },

  cancelGeneration: async (_, { messageId }, ctx) =>
    ctx.services.chat.cancel(await ownedMessage(ctx, messageId)),

  regenerate: async (_, { messageId }, ctx) =>
    ctx.services.chat.regenerate(viewerOf(ctx), await ownedMessage(ctx, messageId), callerOf(ctx)),

  rateMessage: async (_, { messageId, ...input }, ctx) => {
    const message = await ownedMessage(ctx, messageId);
    ctx.loaders.rating.prime(message.id, await ctx.services.feedback.rate(message, input));
    return message;
  },
} satisfies MutationResolvers;
