import { notFound } from '@voiceassist/errors';
import { requireRole } from '../context.js';
import type { DocumentInfo } from '../db/schema.js';
import { documentFromEvent } from '../events.js';
import type { SubscriptionResolvers } from './resolvers-types.js';

export const Subscription = {
  documentStatus: {
    /** The document as it is now, then each newer revision; ends when the document is deleted. */
    subscribe: async function* (_, { id }, ctx): AsyncGenerator<{ documentStatus: DocumentInfo }> {
      requireRole(ctx, 'USER');
      // Listen first, then read: a change between the two arrives as an event, not lost.
      const events = ctx.knowledge.events.subscribe(id);
      try {
        const current = await ctx.knowledge.store.get(id);
        if (!current) throw notFound('Document');
        let revision = current.revision;
        yield { documentStatus: current };
        for await (const event of events) {
          if ('deleted' in event) return;
          if (event.document.revision <= revision) continue;
          revision = event.document.revision;
          yield { documentStatus: documentFromEvent(event.document) };
        }
      } finally {
        await events.return?.();
      }
    },
  },
} satisfies SubscriptionResolvers;
