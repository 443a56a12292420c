import { sql } from 'drizzle-orm';
import type { EmbeddingProvider } from '@voiceassist/ai';
import type { Database } from '@voiceassist/database';
import { badUserInput, providerUnavailable } from '@voiceassist/errors';
import type { Logger } from '@voiceassist/logging';
import { serviceTracer, withSpan } from '@voiceassist/tracing';
import { rowsOf } from './db/rows.js';
import type { ChunkInfo } from './db/schema.js';
import type { VectorIndex } from './vector-index/index.js';

export type SearchMode = 'HYBRID' | 'SEMANTIC' | 'KEYWORD';

export interface RankedChunk {
  chunkId: string;
  score: number;
}

/** A search result: the chunk, its highlighted snippet and its score in the mode asked for. */
export interface CitationResult extends ChunkInfo {
  snippet: string;
  score: number;
}

export const MAX_QUERY_LENGTH = 1000;
export const MAX_SEARCH_LIMIT = 50;
/** Distinct query words used for keyword ranking; a pasted paragraph needs no more. */
const MAX_QUERY_TERMS = 32;
/** Document frequencies are counted up to this; a word in more chunks is common. */
const DF_COUNT_CAP = 5000;
/** Chunks scored per keyword search, about: gathered by the rarest words until this many. */
const MAX_KEYWORD_CANDIDATES = 20_000;
/** Reciprocal rank fusion's k: 60 as in Cormack et al.; damps the weight of the very top ranks. */
export const RRF_K = 60;

/** Matched terms in snippets are wrapped in these (documented on Citation.snippet). */
export const HIGHLIGHT_START = '**';
export const HIGHLIGHT_END = '**';
const HEADLINE_OPTIONS = `StartSel=${HIGHLIGHT_START}, StopSel=${HIGHLIGHT_END}, MaxWords=40, MinWords=18, ShortWord=2, MaxFragments=2, FragmentDelimiter=" … "`;

/**
 * The query's words as an OR query (plainto_tsquery ANDs them, which finds nothing for most
 * questions): stemmed, stop words dropped, by Postgres' English configuration.
 */
const orQuery = (query: string) => sql`replace(plainto_tsquery('english', ${query})::text, '&', '|')::tsquery`;

/** Fuses ranked lists: each item scores Σ 1 / (k + rank) over the lists it appears in. */
export function reciprocalRankFusion(lists: RankedChunk[][], k = RRF_K): RankedChunk[] {
  const scores = new Map<string, number>();
  for (const list of lists) list.forEach((hit, rank) => scores.set(hit.chunkId, (scores.get(hit.chunkId) ?? 0) + 1 / (k + rank + 1)));
  return [...scores].map(([chunkId, score]) => ({ chunkId, score })).sort((a, b) => b.score - a.score);
}

const tracer = serviceTracer('knowledge');

export function createSearch(options: { db: Database; embedder: EmbeddingProvider; vectorIndex: VectorIndex; logger: Logger }) {
  const { db, embedder, vectorIndex, logger } = options;

  /** Chunks in the index, recounted only when the index version changes. */
  let collection: { version: number; size: number } | undefined;

  /**
   * Postgres full-text search over the GIN index, ranked like BM25: the sum over the query's
   * words (stemmed, stop words dropped by the English configuration) of ts_rank (title and
   * heading matches weigh more, long chunks are not favoured) times the word's inverse document
   * frequency, so a rare word ("cystitis") outweighs a common one ("treatment"), which plain
   * ts_rank cannot tell apart. Document frequencies are counted through the index up to a cap;
   * chunks are gathered by the rarer words only (a word in most chunks adds little to the rank
   * and would make every chunk a candidate), then scored on all of them.
   */
  async function keyword(query: string, limit: number): Promise<RankedChunk[]> {
    const lexemes = rowsOf<{ lexeme: string }>(await db.execute(sql`select lexeme from unnest(to_tsvector('english', ${query}))`))
      .map((row) => row.lexeme)
      .slice(0, MAX_QUERY_TERMS);
    if (lexemes.length === 0) return [];
    const terms = lexemes.map((lexeme) => sql`${`'${lexeme.replace(/\\/g, '\\\\').replace(/'/g, "''")}'`}::tsquery`);
    const counts = terms.map(
      (term, i) => sql`(select count(*) from (select 1 from knowledge.chunks where search_vector @@ ${term} limit ${DF_COUNT_CAP}) m)::int as ${sql.identifier(`d${i}`)}`,
    );
    const [stats] = rowsOf<Record<string, number>>(
      await db.execute(sql`select (select version from knowledge.index_state where id = 1)::float8 as version, ${sql.join(counts, sql`, `)}`),
    );
    const version = Number(stats!.version);
    if (collection?.version !== version) {
      const [row] = rowsOf<{ size: number }>(await db.execute(sql`select count(*)::int as size from knowledge.chunks`));
      collection = { version, size: row?.size ?? 0 };
    }
    const n = Math.max(collection.size, 1);
    const frequencies = terms.map((_, i) => Number(stats![`d${i}`]));
    const idf = frequencies.map((df) => Math.log(1 + (n - df + 0.5) / (df + 0.5)));
    // Gather by the rarest words while their chunks stay few; always by the rarest one.
    const byRarity = frequencies.map((df, i) => ({ df, i })).filter(({ df }) => df > 0).sort((a, b) => a.df - b.df);
    if (byRarity.length === 0) return [];
    const gather: number[] = [];
    let candidates = 0;
    for (const { df, i } of byRarity) {
      if (gather.length > 0 && (df >= DF_COUNT_CAP || candidates + df > MAX_KEYWORD_CANDIDATES)) break;
      gather.push(i);
      candidates += df;
    }
    const score = sql.join(
      terms.flatMap((term, i) => (frequencies[i]! > 0 ? [sql`${idf[i]!}::float8 * ts_rank(search_vector, ${term}, 1)`] : [])),
      sql` + `,
    );
    const rows = rowsOf<{ id: string; score: number }>(
      await db.execute(sql`select id, ${score} as score from knowledge.chunks
        where search_vector @@ (${sql.join(gather.map((i) => terms[i]!), sql` || `)})
        order by score desc, id limit ${limit}`),
    );
    return rows.map((row) => ({ chunkId: row.id, score: Number(row.score) }));
  }

  async function semantic(query: string, limit: number): Promise<RankedChunk[]> {
    let vector: number[] | undefined;
    try {
      [vector] = await embedder.embed([query]);
    } catch (error) {
      logger.warn({ err: error }, 'query embedding failed');
      throw providerUnavailable('The embedding provider is unavailable; KEYWORD search still works');
    }
    try {
      return await vectorIndex.search(Float32Array.from(vector!), limit);
    } catch (error) {
      logger.warn({ err: error, vectorIndex: vectorIndex.kind }, 'vector search failed');
      throw providerUnavailable('The vector index is unavailable; KEYWORD search still works');
    }
  }

  /** The chunks that still exist, in the order given, with snippets highlighting the query's terms. */
  async function hydrate(query: string, ranked: RankedChunk[]): Promise<CitationResult[]> {
    if (ranked.length === 0) return [];
    const ids = ranked.map((hit) => hit.chunkId);
    const rows = rowsOf<Record<string, unknown>>(
      await db.execute(sql`select c.id, c.document_id, c.ordinal, c.document_title, c.heading, c.content, c.page, c.page_end,
          c.embedding_model, c.embedding_dimension,
          ts_headline('english', c.content, q.query, ${HEADLINE_OPTIONS}) as snippet
        from knowledge.chunks c, (select ${orQuery(query)} as query) q
        where c.id in (${sql.join(ids.map((id) => sql`${id}::uuid`), sql`, `)})`),
    );
    const byId = new Map(
      rows.map((row) => [
        row.id as string,
        {
          id: row.id as string,
          documentId: row.document_id as string,
          ordinal: Number(row.ordinal),
          documentTitle: row.document_title as string,
          heading: (row.heading as string | null) ?? null,
          content: row.content as string,
          page: row.page === null ? null : Number(row.page),
          pageEnd: row.page_end === null ? null : Number(row.page_end),
          embeddingModel: row.embedding_model as string,
          embeddingDimension: Number(row.embedding_dimension),
          snippet: (row.snippet as string).trim(),
        },
      ]),
    );
    return ranked.flatMap((hit) => {
      const chunk = byId.get(hit.chunkId);
      return chunk ? [{ ...chunk, score: hit.score }] : [];
    });
  }

  return {
    keyword,
    semantic,
    hydrate,
    /**
     * KEYWORD and SEMANTIC rank by one method; HYBRID fuses both lists with reciprocal rank
     * fusion (and falls back to keyword results when the embedding provider is down).
     */
    search(args: { query: string; limit?: number | null; mode?: SearchMode | null }): Promise<CitationResult[]> {
      // Mode and limit only: the query is the user's text.
      return withSpan(tracer, 'knowledge.search', { attributes: { 'search.mode': args.mode ?? 'HYBRID', 'search.limit': args.limit ?? 5 } }, async (span) => {
        const results = await searchOnce(args);
        span.setAttribute('search.results', results.length);
        return results;
      });
    },
  };

  async function searchOnce(args: { query: string; limit?: number | null; mode?: SearchMode | null }): Promise<CitationResult[]> {
    const query = args.query.trim();
    if (!query) throw badUserInput('Enter something to search for', 'query');
    if (query.length > MAX_QUERY_LENGTH) throw badUserInput(`query must be at most ${MAX_QUERY_LENGTH} characters`, 'query');
    const limit = args.limit ?? 5;
    if (!Number.isInteger(limit) || limit < 1 || limit > MAX_SEARCH_LIMIT) throw badUserInput(`limit must be between 1 and ${MAX_SEARCH_LIMIT}`, 'limit');
    const mode = args.mode ?? 'HYBRID';
    // Vector hits may name chunks deleted a moment ago (Qdrant): ask for a few more than needed.
    const spare = limit + 5;
    if (mode === 'KEYWORD') return hydrate(query, await keyword(query, limit));
    if (mode === 'SEMANTIC') return (await hydrate(query, await semantic(query, spare))).slice(0, limit);
    const depth = Math.max(limit * 4, 40);
    const [keywordHits, semanticHits] = await Promise.all([
      keyword(query, depth),
      semantic(query, depth).catch((error: unknown) => {
        logger.warn({ err: error }, 'hybrid search without its semantic half');
        return [];
      }),
    ]);
    return (await hydrate(query, reciprocalRankFusion([keywordHits, semanticHits]).slice(0, spare))).slice(0, limit);
  }
}

export type Search = ReturnType<typeof createSearch>;

/** A snippet without a query (a citation resolved by reference): the passage's opening, cut at a word. */
export function openingSnippet(content: string, maxChars = 240): string {
  const flat = content.replace(/\s+/g, ' ').trim();
  if (flat.length <= maxChars) return flat;
  const cut = flat.slice(0, maxChars);
  return `${cut.slice(0, Math.max(cut.lastIndexOf(' '), maxChars / 2)).trimEnd()} …`;
}
