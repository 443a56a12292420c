import DataLoader from 'dataloader';
import { internalError } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import { postToConversation } from './conversation-client.js';

/**
 * Who owns a message, asked of the conversation subgraph as the caller. `@requires` hands us a
 * message's content but not its owner, and anyone can send a representation straight to this
 * subgraph; so before reading a message aloud we ask conversation (with the caller's own
 * token) for the message's conversation owner. A message the caller cannot see there comes
 * back null or with an error, and counts as not theirs.
 */
export interface MessageOwnerLookup {
  /** Owner user ids by message id (null: unknown to the caller), one request per batch. */
  loader(authorization: string | undefined, requestId: string, logger: Logger): DataLoader<string, string | null>;
}

const QUERY = `query VoiceMessageOwners($representations: [_Any!]!) {
  _entities(representations: $representations) { ... on Message { id conversation { owner { id } } } }
}`;

interface EntitiesResponse {
  data?: { _entities?: Array<{ id?: string; conversation?: { owner?: { id?: string } | null } | null } | null> } | null;
}

export function createMessageOwnerLookup({ conversationUrl, timeoutMs = 10_000 }: { conversationUrl: string; timeoutMs?: number }): MessageOwnerLookup {
  return {
    loader(authorization, requestId, logger) {
      return new DataLoader<string, string | null>(async (ids) => {
        let body: EntitiesResponse;
        try {
          const request = { query: QUERY, variables: { representations: ids.map((id) => ({ __typename: 'Message', id })) } };
          body = (await postToConversation(conversationUrl, { authorization, requestId }, request, timeoutMs)) as EntitiesResponse;
        } catch (error) {
          logger.error({ err: error }, 'conversation subgraph unreachable for a message ownership check');
          throw internalError();
        }
        const entities = body.data?._entities ?? [];
        return ids.map((id, i) => {
          const entity = entities[i];
          return entity?.id === id ? (entity.conversation?.owner?.id ?? null) : null;
        });
      });
    },
  };
}
