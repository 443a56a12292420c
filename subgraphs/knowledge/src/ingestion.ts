import { randomUUID } from 'node:crypto';
import { and, eq, inArray, isNull, lt, or, sql } from 'drizzle-orm';
import { EmbeddingProviderError, type EmbeddingProvider } from '@voiceassist/ai';
import type { Database } from '@voiceassist/database';
import { conflict, notFound } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import { chunkBlocks, embeddingText, type ChunkingOptions } from './chunking.js';
import { chunks, documentInfoColumns, documents, type DocumentInfo } from './db/schema.js';
import { isUuid } from '@voiceassist/database';
import type { DocumentEvents } from './events.js';
import { ExtractionError, extractText, type SupportedMimeType } from './extraction/index.js';
import { validateIngestInput, type IngestDocumentInput } from './input.js';
import { bumpIndexVersion, encodeVector, type ChunkVector, type VectorIndex } from './vector-index/index.js';

export interface IngestionOptions {
  db: Database;
  embedder: EmbeddingProvider;
  vectorIndex: VectorIndex;
  events: DocumentEvents;
  logger: Logger;
  maxBytes: number;
  chunking: ChunkingOptions;
  /** Documents indexed at once by this instance. */
  concurrency: number;
  /** How long a claim on a document lasts without a heartbeat; another instance then takes over. */
  leaseMs?: number;
  /** How often this instance looks for documents nobody is indexing (crashed instance, restart). */
  sweepMs?: number;
}

/** Texts per embedding call; progress is reported after each. */
const EMBED_BATCH = 32;
const INSERT_BATCH = 200;
/** Progress events at most this often (the last one always goes). */
const PROGRESS_INTERVAL_MS = 200;

/** The job no longer owns the document: it was deleted, or another instance took it over. */
class LeaseLost extends Error {}

/** The vector store outside Postgres (Qdrant) refused the vectors. */
class VectorStoreUnavailable extends Error {}

/** What an admin sees in Document.error: the reason when it is theirs to fix, never internals. */
function failureMessage(error: unknown): string {
  if (error instanceof ExtractionError) return error.message;
  if (error instanceof EmbeddingProviderError) return `Embedding failed: ${error.message}`;
  if (error instanceof VectorStoreUnavailable) return 'The vector index is unavailable; reindex the document later';
  return 'Indexing failed because of an internal error';
}

/**
 * Ingestion: validates and stores a document at once (PENDING), then indexes it in the
 * background: extract → chunk → embed (progress published) → one transaction that replaces the
 * document's chunks and vectors and marks it READY. Any failure marks it FAILED with a reason
 * and writes nothing; on reindex the previous chunks stay until the new ones replace them.
 * Jobs hold a lease on the document, so a crashed or stopped instance's work is picked up by
 * another (or by this one after a restart).
 */
export function createIngestion(options: IngestionOptions) {
  const { db, embedder, vectorIndex, events, logger, chunking } = options;
  const leaseMs = options.leaseMs ?? 60_000;
  const sweepMs = options.sweepMs ?? 30_000;
  const queue: string[] = [];
  const queued = new Set<string>();
  const running = new Map<string, { controller: AbortController; done: Promise<void> }>();
  let closed = false;
  let sweeper: NodeJS.Timeout | undefined;

  const publish = async (document: DocumentInfo | undefined) => {
    if (!document) return;
    await events.changed(document).catch((error: unknown) => logger.warn({ err: error, documentId: document.id }, 'status event not published'));
  };

  function schedule(id: string) {
    if (closed || queued.has(id)) return;
    queued.add(id);
    queue.push(id);
    pump();
  }

  function pump() {
    while (!closed && running.size < options.concurrency && queue.length > 0) {
      const id = queue.shift()!;
      const controller = new AbortController();
      const done = index(id, controller.signal)
        .catch((error: unknown) => logger.error({ err: error, documentId: id }, 'indexing job crashed'))
        .finally(() => {
          running.delete(id);
          queued.delete(id);
          pump();
        });
      running.set(id, { controller, done });
    }
  }

  async function index(id: string, signal: AbortSignal) {
    const token = randomUUID();
    const leaseUntil = () => new Date(Date.now() + leaseMs);
    const [claimed] = await db
      .update(documents)
      .set({ status: 'INDEXING', leaseUntil: leaseUntil(), leaseToken: token, indexedChunks: 0, totalChunks: 0, error: null, revision: sql`${documents.revision} + 1`, updatedAt: new Date() })
      .where(and(eq(documents.id, id), inArray(documents.status, ['PENDING', 'INDEXING']), or(isNull(documents.leaseUntil), lt(documents.leaseUntil, new Date()))))
      .returning(documentInfoColumns);
    if (!claimed) return;
    await publish(claimed);
    const log = logger.child({ documentId: id });
    const started = Date.now();
    const owned = and(eq(documents.id, id), eq(documents.leaseToken, token));
    const update = async (values: Partial<typeof documents.$inferInsert>) => {
      const [row] = await db
        .update(documents)
        .set({ ...values, leaseUntil: leaseUntil(), revision: sql`${documents.revision} + 1`, updatedAt: new Date() })
        .where(owned)
        .returning(documentInfoColumns);
      if (!row) throw new LeaseLost();
      return row;
    };
    // Extraction of a large PDF reports no progress: keep the lease alive meanwhile.
    const heartbeat = setInterval(() => {
      void db
        .update(documents)
        .set({ leaseUntil: leaseUntil() })
        .where(owned)
        .returning({ id: documents.id })
        .then((rows) => rows.length === 0 && running.get(id)?.controller.abort(), () => {});
    }, Math.max(1000, leaseMs / 3));
    heartbeat.unref();
    let staged: string[] = [];
    try {
      const [source] = await db.select({ content: documents.content, mimeType: documents.mimeType, title: documents.title }).from(documents).where(owned);
      if (!source) throw new LeaseLost();
      const extracted = await extractText(source.mimeType as SupportedMimeType, source.content);
      const pieces = chunkBlocks(extracted.blocks, chunking);
      if (pieces.length === 0) {
        throw new ExtractionError(source.mimeType === 'application/pdf' ? 'The PDF has no extractable text (scanned pages are not supported)' : 'The document contains no text');
      }
      await publish(await update({ totalChunks: pieces.length, pageCount: extracted.pageCount ?? null }));

      const vectors: Float32Array[] = [];
      let reported = Date.now();
      for (let start = 0; start < pieces.length; start += EMBED_BATCH) {
        if (signal.aborted) throw new LeaseLost();
        const batch = pieces.slice(start, start + EMBED_BATCH);
        const embedded = await embedder.embed(batch.map((piece) => embeddingText(source.title, piece)));
        for (const vector of embedded) {
          if (vector.length !== embedder.dimension) throw new EmbeddingProviderError(`vectors of size ${vector.length}, expected ${embedder.dimension}`);
          vectors.push(Float32Array.from(vector));
        }
        if (Date.now() - reported >= PROGRESS_INTERVAL_MS || vectors.length === pieces.length) {
          reported = Date.now();
          await publish(await update({ indexedChunks: vectors.length }));
        }
      }
      if (signal.aborted) throw new LeaseLost();

      const rows = pieces.map((piece, i) => ({
        id: randomUUID(),
        documentId: id,
        ordinal: piece.ordinal,
        documentTitle: source.title,
        heading: piece.heading,
        content: piece.content,
        page: piece.page,
        pageEnd: piece.pageEnd,
        embedding: encodeVector(vectors[i]!),
        embeddingModel: embedder.model,
        embeddingDimension: embedder.dimension,
      }));
      const chunkVectors: ChunkVector[] = rows.map((row, i) => ({ chunkId: row.id, documentId: id, vector: vectors[i]! }));
      staged = rows.map((row) => row.id);
      await vectorIndex.stage(chunkVectors).catch((error: unknown) => {
        throw new VectorStoreUnavailable('vector index unavailable', { cause: error });
      });
      const { document, replaced } = await db.transaction(async (tx) => {
        const [locked] = await tx.select({ id: documents.id }).from(documents).where(owned).for('update');
        if (!locked) throw new LeaseLost();
        const previous = await tx.delete(chunks).where(eq(chunks.documentId, id)).returning({ id: chunks.id });
        for (let start = 0; start < rows.length; start += INSERT_BATCH) await tx.insert(chunks).values(rows.slice(start, start + INSERT_BATCH));
        await vectorIndex.write(tx, chunkVectors);
        const now = new Date();
        const [ready] = await tx
          .update(documents)
          .set({
            status: 'READY',
            error: null,
            chunkCount: rows.length,
            indexedChunks: rows.length,
            totalChunks: rows.length,
            embeddingModel: embedder.model,
            embeddingDimension: embedder.dimension,
            generation: sql`${documents.generation} + 1`,
            revision: sql`${documents.revision} + 1`,
            leaseUntil: null,
            leaseToken: null,
            indexedAt: now,
            updatedAt: now,
          })
          .where(owned)
          .returning(documentInfoColumns);
        await tx.execute(bumpIndexVersion);
        return { document: ready!, replaced: previous.map((row) => row.id) };
      });
      staged = [];
      await vectorIndex.remove(replaced).catch((error: unknown) => log.warn({ err: error }, 'replaced vectors not removed'));
      await publish(document);
      log.info({ chunks: rows.length, pages: extracted.pageCount ?? null, durationMs: Date.now() - started, model: embedder.model }, 'document indexed');
    } catch (error) {
      if (staged.length) await vectorIndex.remove(staged).catch((err: unknown) => log.warn({ err }, 'staged vectors not removed'));
      if (error instanceof LeaseLost || signal.aborted) {
        // Stopping: hand the document back so the next instance (or restart) resumes it at once.
        if (closed) {
          const [released] = await db
            .update(documents)
            .set({ status: 'PENDING', leaseUntil: null, leaseToken: null, indexedChunks: 0, revision: sql`${documents.revision} + 1`, updatedAt: new Date() })
            .where(owned)
            .returning(documentInfoColumns)
            .catch(() => []);
          await publish(released);
        }
        return;
      }
      const message = failureMessage(error);
      if (message.startsWith('Indexing failed because')) log.error({ err: error }, 'indexing failed');
      else log.warn({ reason: message }, 'indexing failed');
      const [failed] = await db
        .update(documents)
        .set({ status: 'FAILED', error: message, leaseUntil: null, leaseToken: null, indexedChunks: 0, revision: sql`${documents.revision} + 1`, updatedAt: new Date() })
        .where(owned)
        .returning(documentInfoColumns);
      await publish(failed);
    } finally {
      clearInterval(heartbeat);
    }
  }

  /** Documents waiting with no live claim: new ones whose instance stopped, or claims that expired. */
  async function sweep() {
    const orphans = await db
      .select({ id: documents.id })
      .from(documents)
      .where(and(inArray(documents.status, ['PENDING', 'INDEXING']), or(isNull(documents.leaseUntil), lt(documents.leaseUntil, new Date()))))
      .orderBy(documents.createdAt)
      .limit(100);
    for (const { id } of orphans) schedule(id);
  }

  async function reindex(id: string): Promise<DocumentInfo> {
    if (!isUuid(id)) throw notFound('Document');
    const [pending] = await db
      .update(documents)
      .set({ status: 'PENDING', error: null, indexedChunks: 0, totalChunks: 0, revision: sql`${documents.revision} + 1`, updatedAt: new Date() })
      .where(
        and(
          eq(documents.id, id),
          or(inArray(documents.status, ['READY', 'FAILED']), and(eq(documents.status, 'INDEXING'), lt(documents.leaseUntil, new Date()))),
        ),
      )
      .returning(documentInfoColumns);
    if (pending) {
      await publish(pending);
      schedule(id);
      return pending;
    }
    const [current] = await db.select(documentInfoColumns).from(documents).where(eq(documents.id, id));
    if (!current) throw notFound('Document');
    if (current.status === 'INDEXING') throw conflict('The document is being indexed; reindex it once it is READY or FAILED', { field: 'id' });
    // PENDING: already waiting for a worker.
    return current;
  }

  return {
    /** Stores the document (PENDING) and queues its indexing; identical content returns the stored document. */
    async ingest(input: IngestDocumentInput, actorId: string | null): Promise<DocumentInfo> {
      const valid = await validateIngestInput(input, options.maxBytes);
      const [inserted] = await db
        .insert(documents)
        .values({ ...valid, byteSize: valid.content.length, createdBy: actorId })
        .onConflictDoNothing({ target: documents.contentHash })
        .returning(documentInfoColumns);
      if (inserted) {
        logger.info({ documentId: inserted.id, mimeType: inserted.mimeType, bytes: inserted.byteSize }, 'document accepted');
        await publish(inserted);
        schedule(inserted.id);
        return inserted;
      }
      const [existing] = await db.select(documentInfoColumns).from(documents).where(eq(documents.contentHash, valid.contentHash));
      if (!existing) throw conflict('The document was deleted while being added; try again');
      // A document that failed before is tried again rather than returned failed.
      return existing.status === 'FAILED' ? reindex(existing.id) : existing;
    },

    reindex,

    /** Queues every document that waits with no live claim (done at start and every sweep interval). */
    resume: sweep,

    /** Deletes the document, its chunks and its vectors everywhere; false when there was none. */
    async remove(id: string): Promise<boolean> {
      if (!isUuid(id)) return false;
      const deleted = await db.transaction(async (tx) => {
        const [row] = await tx.delete(documents).where(eq(documents.id, id)).returning({ id: documents.id });
        if (row) await tx.execute(bumpIndexVersion);
        return row;
      });
      if (!deleted) return false;
      running.get(id)?.controller.abort();
      await vectorIndex.removeDocument(id).catch((error: unknown) => logger.warn({ err: error, documentId: id }, 'vectors of a deleted document not removed'));
      await events.deleted(id).catch(() => {});
      logger.info({ documentId: id }, 'document deleted');
      return true;
    },

    /** Resumes unfinished documents now and every sweep interval. */
    start() {
      const run = () => void sweep().catch((error: unknown) => logger.warn({ err: error }, 'ingestion sweep failed'));
      run();
      sweeper = setInterval(run, sweepMs);
      sweeper.unref();
    },

    /** Resolves when nothing is queued or running (tests and benchmarks). */
    async idle() {
      while (running.size > 0 || queue.length > 0) await Promise.all([...running.values()].map((job) => job.done));
    },

    /** Stops taking work; running jobs stop at their next step and hand their documents back. */
    async close() {
      closed = true;
      if (sweeper) clearInterval(sweeper);
      queue.length = 0;
      for (const job of running.values()) job.controller.abort();
      await Promise.all([...running.values()].map((job) => job.done));
    },
  };
}

export type Ingestion = ReturnType<typeof createIngestion>;
