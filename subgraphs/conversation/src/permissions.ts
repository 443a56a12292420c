import { allow, hasRole, isAuthenticated, isSelfOrAdmin, type IRuleTypeMap } from '@voiceassist/auth';
import { erasureEntityPermissions } from '@voiceassist/subgraph-server/erasure-entities';

// Federation's own fields are added by createPermissions; everything not listed here is denied.
// Ownership (NOT_FOUND for anyone but the owner, whatever their role) is checked by the
// resolvers and entity lookups, since it depends on the row.
export const permissions: IRuleTypeMap = {
  Query: {
    conversation: isAuthenticated,
    conversations: isAuthenticated,
    // Aggregates across everyone: admins only.
    feedbackSummary: hasRole('ADMIN'),
    usageAnalytics: hasRole('ADMIN'),
  },
  Mutation: {
    createConversation: isAuthenticated,
    renameConversation: isAuthenticated,
    archiveConversation: isAuthenticated,
    deleteConversation: isAuthenticated,
    sendMessage: isAuthenticated,
    cancelGeneration: isAuthenticated,
    regenerate: isAuthenticated,
    // Only one's own replies (NOT_FOUND otherwise, checked by the resolver).
    rateMessage: isAuthenticated,
    forgetMemory: isAuthenticated,
  },
  Subscription: { messageStream: isAuthenticated },
  // Applies inside `_entities` too, so other subgraphs get no more than a direct caller would.
  Conversation: isAuthenticated,
  Message: isAuthenticated,
  // Usage is the user's own business, and their admins'.
  User: { '*': isAuthenticated, usage: isSelfOrAdmin },
  MessageStreamEvent: isAuthenticated,
  // Reachable only through the fields above, which carry the checks.
  Citation: allow,
  CitationCheck: allow,
  ConversationMemory: allow,
  UserFact: allow,
  TokenUsage: allow,
  UsageSummary: allow,
  GenerationError: allow,
  PhiFinding: allow,
  MessageFeedback: allow,
  FeedbackSummary: allow,
  FeedbackReasonCount: allow,
  FeedbackModelCount: allow,
  UsageAnalytics: allow,
  // An entity: inside `_entities` too, so no one but an admin reads a bucket.
  UsageAnalyticsBucket: hasRole('ADMIN'),
  PageInfo: allow,
  ConversationEdge: allow,
  ConversationConnection: allow,
  MessageEdge: allow,
  MessageConnection: allow,
  SendMessagePayload: allow,
  ...erasureEntityPermissions,
};
