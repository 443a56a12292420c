import { erasedUsersTable } from '@voiceassist/database/erased-users';
import { getTableColumns, sql } from 'drizzle-orm';
import { bigint, customType, index, integer, pgSchema, smallint, text, timestamp, uniqueIndex, uuid } from 'drizzle-orm/pg-core';

export const knowledge = pgSchema('knowledge');

export const documentStatusEnum = knowledge.enum('document_status', ['PENDING', 'INDEXING', 'READY', 'FAILED']);
export type DocumentStatus = (typeof documentStatusEnum.enumValues)[number];

const bytea = customType<{ data: Buffer; driverData: Buffer | Uint8Array }>({
  dataType: () => 'bytea',
  fromDriver: (value) => (Buffer.isBuffer(value) ? value : Buffer.from(value.buffer, value.byteOffset, value.byteLength)),
});

const tsvector = customType<{ data: string }>({ dataType: () => 'tsvector' });

const timestampColumn = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });
const now = () => new Date();

/**
 * One ingested document. The original bytes are kept so reindexing can extract again with
 * today's extractor; chunks are replaced in one transaction, so a document never has half its chunks.
 */
export const documents = knowledge.table(
  'documents',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    title: text('title').notNull(),
    source: text('source'),
    mimeType: text('mime_type').notNull(),
    /** SHA-256 of mime type and content: identical content is stored once. */
    contentHash: text('content_hash').notNull(),
    content: bytea('content').notNull(),
    byteSize: integer('byte_size').notNull(),
    status: documentStatusEnum('status').notNull().default('PENDING'),
    error: text('error'),
    /** Committed chunks (searchable now). */
    chunkCount: integer('chunk_count').notNull().default(0),
    /** Progress of the running indexing: chunks embedded so far, out of totalChunks. */
    indexedChunks: integer('indexed_chunks').notNull().default(0),
    totalChunks: integer('total_chunks').notNull().default(0),
    pageCount: integer('page_count'),
    /** The embedding model and vector size of the committed chunks. */
    embeddingModel: text('embedding_model'),
    embeddingDimension: integer('embedding_dimension'),
    /** Bumped on every change the documentStatus subscription reports; subscribers skip stale events. */
    revision: integer('revision').notNull().default(0),
    /** Bumped each time chunks are replaced; the exact vector scan reloads a document when it changes. */
    generation: integer('generation').notNull().default(0),
    /** An instance working on this document holds it until then; an expired lease is taken over. */
    leaseUntil: timestampColumn('lease_until'),
    /** Which claim holds the lease: writes of a job whose lease was taken over are refused. */
    leaseToken: uuid('lease_token'),
    createdBy: uuid('created_by'),
    createdAt: timestampColumn('created_at').notNull().defaultNow().$defaultFn(now),
    updatedAt: timestampColumn('updated_at').notNull().defaultNow().$defaultFn(now),
    indexedAt: timestampColumn('indexed_at'),
  },
  (t) => [
    uniqueIndex('documents_content_hash_key').on(t.contentHash),
    index('documents_created_at_idx').on(t.createdAt, t.id),
    index('documents_status_idx').on(t.status, t.createdAt, t.id),
  ],
);

/** A passage of a document: the unit of search and of citation (Citation.id is a chunk id). */
export const chunks = knowledge.table(
  'chunks',
  {
    id: uuid('id').primaryKey().defaultRandom(),
    documentId: uuid('document_id')
      .notNull()
      .references(() => documents.id, { onDelete: 'cascade' }),
    ordinal: integer('ordinal').notNull(),
    /** The document's title, copied so keyword search weighs it like a heading. */
    documentTitle: text('document_title').notNull(),
    /** The section the passage sits in, headings joined with " > ". */
    heading: text('heading'),
    content: text('content').notNull(),
    /** First and last PDF page (1-based) the passage comes from. */
    page: integer('page'),
    pageEnd: integer('page_end'),
    /** Float32 little-endian, unit length; the vector indexes are built from these. */
    embedding: bytea('embedding').notNull(),
    embeddingModel: text('embedding_model').notNull(),
    embeddingDimension: smallint('embedding_dimension').notNull(),
    /** Keyword search: title and headings weigh more than body text. */
    searchVector: tsvector('search_vector')
      .notNull()
      .generatedAlwaysAs(
        sql`setweight(to_tsvector('english', document_title || ' ' || coalesce(heading, '')), 'A') || setweight(to_tsvector('english', content), 'B')`,
      ),
  },
  (t) => [
    uniqueIndex('chunks_document_ordinal_key').on(t.documentId, t.ordinal),
    index('chunks_search_vector_idx').using('gin', t.searchVector),
    index('chunks_model_idx').on(t.embeddingModel, t.embeddingDimension),
  ],
);

/** One row: bumped by every commit that adds or removes chunks, so in-process caches know to refresh. */
export const indexState = knowledge.table('index_state', {
  id: smallint('id').primaryKey(),
  version: bigint('version', { mode: 'number' }).notNull().default(0),
});

export type DocumentRow = typeof documents.$inferSelect;
export type ChunkRow = typeof chunks.$inferSelect;
/** A document without its content bytes: what lists, loaders and events carry. */
export type DocumentInfo = Omit<DocumentRow, 'content'>;
/** A chunk without its vector and tsvector. */
export type ChunkInfo = Omit<ChunkRow, 'embedding' | 'searchVector'>;

/** drizzle column maps for selecting the light shapes above. */
export const documentInfoColumns = (() => {
  const { content: _content, ...columns } = getTableColumns(documents);
  return columns;
})();
export const chunkInfoColumns = (() => {
  const { embedding: _embedding, searchVector: _searchVector, ...columns } = getTableColumns(chunks);
  return columns;
})();

/** People erased here after identity deleted them (see erasure.ts). */
export const erasedUsers = erasedUsersTable(knowledge);
