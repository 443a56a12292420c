import { allow, hasAtLeast, isAuthenticated, rule, type IRuleTypeMap } from '@voiceassist/auth';
import { forbidden, unauthenticated } from '@voiceassist/errors';
import type { ConversationContext } from './context.js';

/** Usage is the user's own business, and their admins'. */
const isSelfOrAdmin = rule('isSelfOrAdmin', { cache: 'strict' })((parent: { id: string }, _args, ctx: ConversationContext) => {
  if (!ctx.viewer) return unauthenticated();
  return ctx.viewer.userId === parent.id || hasAtLeast(ctx.viewer.role, 'ADMIN') ? true : forbidden();
});

// Federation's own fields are added by createPermissions; everything not listed here is denied.
// Ownership (NOT_FOUND for anyone but the owner, whatever their role) is checked by the
// resolvers and entity lookups, since it depends on the row.
export const permissions: IRuleTypeMap = {
  Query: {
    conversation: isAuthenticated,
    conversations: isAuthenticated,
  },
  Mutation: {
    createConversation: isAuthenticated,
    renameConversation: isAuthenticated,
    archiveConversation: isAuthenticated,
    deleteConversation: isAuthenticated,
    sendMessage: isAuthenticated,
    cancelGeneration: isAuthenticated,
    regenerate: isAuthenticated,
  },
  Subscription: { messageStream: isAuthenticated },
  // Applies inside `_entities` too, so other subgraphs get no more than a direct caller would.
  Conversation: isAuthenticated,
  Message: isAuthenticated,
  User: { '*': isAuthenticated, usage: isSelfOrAdmin },
  MessageStreamEvent: isAuthenticated,
  // Reachable only through the fields above, which carry the checks.
  Citation: allow,
  TokenUsage: allow,
  UsageSummary: allow,
  GenerationError: allow,
  PageInfo: allow,
  ConversationEdge: allow,
  ConversationConnection: allow,
  MessageEdge: allow,
  MessageConnection: allow,
  SendMessagePayload: allow,
};
