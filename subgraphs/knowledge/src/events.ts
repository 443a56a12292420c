import type { PubSub } from '@voiceassist/pubsub';
import type { DocumentInfo } from './db/schema.js';

/** What `documentStatus` subscribers receive: the document as it now is, or that it is gone. */
export type DocumentEvent = { document: DocumentInfo } | { deleted: string };

export const documentTopic = (id: string) => `knowledge:document:${id}`;

const DATE_FIELDS = ['createdAt', 'updatedAt', 'indexedAt', 'leaseUntil'] as const;

/** Dates arrive as strings over Redis (JSON) and as Dates in process; both become Dates. */
export function documentFromEvent(document: DocumentInfo): DocumentInfo {
  const copy = { ...document };
  for (const field of DATE_FIELDS) {
    const value = copy[field] as Date | string | null;
    (copy as Record<string, unknown>)[field] = typeof value === 'string' ? new Date(value) : value;
  }
  return copy;
}

export function createDocumentEvents(pubsub: PubSub) {
  return {
    changed: (document: DocumentInfo) => pubsub.publish<DocumentEvent>(documentTopic(document.id), { document }),
    deleted: (id: string) => pubsub.publish<DocumentEvent>(documentTopic(id), { deleted: id }),
    subscribe: (id: string) => pubsub.subscribe<DocumentEvent>(documentTopic(id)),
  };
}

export type DocumentEvents = ReturnType<typeof createDocumentEvents>;
