import { asc, eq, inArray } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { chunks, documents, erasedUsers } from './db/schema.js';

/**
 * What deleting a person means here: the documents they uploaded are the organisation's
 * knowledge base, searched and cited by everyone, so they stay; only the link to the uploader
 * goes (created_by becomes null). Documents hold no one's personal data by design (admins
 * upload reference material), so nothing else here names the person.
 */
export function createKnowledgeErasure(db: Database) {
  return {
    /** Idempotent: a second run finds no document naming them. */
    async erase(userId: string): Promise<void> {
      await db.transaction(async (tx) => {
        await tx.insert(erasedUsers).values({ userId, erasedAt: new Date() }).onConflictDoNothing();
        await tx.update(documents).set({ createdBy: null }).where(eq(documents.createdBy, userId));
      });
    },

    /** The documents they uploaded: metadata and text (the passages as indexed, in order). */
    async exportData(userId: string) {
      const uploaded = await db
        .select({
          id: documents.id,
          title: documents.title,
          source: documents.source,
          mimeType: documents.mimeType,
          byteSize: documents.byteSize,
          status: documents.status,
          pageCount: documents.pageCount,
          createdAt: documents.createdAt,
        })
        .from(documents)
        .where(eq(documents.createdBy, userId))
        .orderBy(asc(documents.createdAt), asc(documents.id));
      const passages = uploaded.length
        ? await db
            .select({ documentId: chunks.documentId, content: chunks.content })
            .from(chunks)
            .where(inArray(chunks.documentId, uploaded.map((d) => d.id)))
            .orderBy(asc(chunks.documentId), asc(chunks.ordinal))
        : [];
      return {
        documents: uploaded.map((d) => ({
          ...d,
          createdAt: d.createdAt.toISOString(),
          passages: passages.filter((p) => p.documentId === d.id).map((p) => p.content),
        })),
      };
    },
  };
}

export type KnowledgeErasure = ReturnType<typeof createKnowledgeErasure>;
