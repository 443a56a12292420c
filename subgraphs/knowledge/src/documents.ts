import { and, desc, eq, inArray, lt, or, type SQL } from 'drizzle-orm';
import { isUuid, type Database } from '@voiceassist/database';
import { chunkInfoColumns, chunks, documentInfoColumns, documents, type ChunkInfo, type DocumentInfo, type DocumentStatus } from './db/schema.js';

/** Reads of documents and chunks, without their content bytes and vectors. */
export function createDocumentStore(db: Database) {
  return {
    async byIds(ids: readonly string[]): Promise<DocumentInfo[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select(documentInfoColumns).from(documents).where(inArray(documents.id, valid));
    },

    async get(id: string): Promise<DocumentInfo | undefined> {
      if (!isUuid(id)) return undefined;
      const [row] = await db.select(documentInfoColumns).from(documents).where(eq(documents.id, id));
      return row;
    },

    /** Newest first; `after` is the last row of the previous page. */
    async list(options: { limit: number; after?: { createdAt: Date; id: string } | undefined; status?: DocumentStatus | undefined }): Promise<DocumentInfo[]> {
      const conditions: SQL[] = [];
      if (options.status) conditions.push(eq(documents.status, options.status));
      if (options.after) {
        const { createdAt, id } = options.after;
        conditions.push(or(lt(documents.createdAt, createdAt), and(eq(documents.createdAt, createdAt), lt(documents.id, id)))!);
      }
      return db
        .select(documentInfoColumns)
        .from(documents)
        .where(conditions.length ? and(...conditions) : undefined)
        .orderBy(desc(documents.createdAt), desc(documents.id))
        .limit(options.limit);
    },

    async chunksByIds(ids: readonly string[]): Promise<ChunkInfo[]> {
      const valid = ids.filter(isUuid);
      if (valid.length === 0) return [];
      return db.select(chunkInfoColumns).from(chunks).where(inArray(chunks.id, valid));
    },
  };
}

export type DocumentStore = ReturnType<typeof createDocumentStore>;

/** 0 to 1: how far the current indexing is (1 once READY). */
export function progressOf(document: Pick<DocumentInfo, 'status' | 'indexedChunks' | 'totalChunks'>): number {
  if (document.status === 'READY') return 1;
  if (document.status !== 'INDEXING' || document.totalChunks === 0) return 0;
  return Math.min(1, document.indexedChunks / document.totalChunks);
}
