import type { ChatPassage } from '@voiceassist/ai';
import type { Logger } from '@voiceassist/logging';
import { loggableError } from '@voiceassist/logging';
import { SpanKind, injectTraceContext, serviceTracer, withSpan } from '@voiceassist/tracing';

const tracer = serviceTracer('conversation');

/**
 * The whole passage (`content`), not the highlighted `snippet`: answers quote whole sentences, and
 * a snippet's excerpts stop mid-sentence and carry search highlighting.
 */
const SEARCH = `query ConversationKnowledgeSearch($query: String!, $limit: Int) {
  search(query: $query, limit: $limit) { score citation { id content document { title } } }
}`;

/** Longer questions are cut: retrieval needs the gist, not a whole pasted note. */
const MAX_QUERY_CHARS = 1_000;

interface SearchResponse {
  data?: { search?: Array<{ score: number; citation: { id: string; content: string; document?: { title?: string } | null } | null }> | null } | null;
  errors?: Array<{ extensions?: { code?: unknown } }>;
}

export interface KnowledgeSearch {
  /** Passages one search gives at most. */
  readonly limit: number;
  /** Passages for a question, best first, searched as the caller; none when knowledge is absent, down or refuses. */
  search(question: string, caller: { authorization: string | undefined; requestId: string }, signal?: AbortSignal): Promise<ChatPassage[]>;
}

export function createKnowledgeSearch(options: { url: string | undefined; timeoutMs: number; limit: number; logger: Logger }): KnowledgeSearch {
  const { url, logger } = options;
  return {
    limit: options.limit,
    search(question, caller, signal) {
      if (!url || !caller.authorization) return Promise.resolve([]);
      // A span of the reply's trace; knowledge continues it from the `traceparent` sent.
      return withSpan(tracer, 'knowledge.search', { kind: SpanKind.CLIENT, attributes: { 'search.limit': options.limit } }, async (span) => {
        const passages = await searchAt(url, question, caller, signal);
        span.setAttribute('search.passages', passages.length);
        return passages;
      });
    },
  };

  async function searchAt(url: string, question: string, caller: { authorization: string | undefined; requestId: string }, signal?: AbortSignal): Promise<ChatPassage[]> {
    const started = performance.now();
    const headers: Record<string, string> = { 'content-type': 'application/json', authorization: caller.authorization ?? '', 'x-request-id': caller.requestId };
    injectTraceContext(headers);
    try {
      const response = await fetch(url, {
        method: 'POST',
        headers,
        body: JSON.stringify({ query: SEARCH, variables: { query: question.slice(0, MAX_QUERY_CHARS), limit: options.limit } }),
        signal: signal ? AbortSignal.any([signal, AbortSignal.timeout(options.timeoutMs)]) : AbortSignal.timeout(options.timeoutMs),
      });
      const body = (await response.json()) as SearchResponse;
      const hits = body.data?.search ?? [];
      if (!body.data?.search && body.errors?.length) {
        // Codes only: the question itself never reaches the logs.
        logger.warn({ status: response.status, codes: body.errors.map((e) => e.extensions?.code ?? null) }, 'knowledge search refused; replying without passages');
      }
      const seen = new Set<string>();
      // Once each: a reply's [n] is its n-th passage and its n-th citation.
      const passages = hits.flatMap((hit) =>
        hit?.citation?.id && typeof hit.citation.content === 'string' && !seen.has(hit.citation.id) && seen.add(hit.citation.id)
          ? [{ id: hit.citation.id, text: hit.citation.content, title: hit.citation.document?.title ?? undefined }]
          : [],
      );
      logger.debug({ passages: passages.length, durationMs: Math.round(performance.now() - started) }, 'knowledge search');
      return passages;
    } catch (error) {
      // Stopped with its reply (cancelled): nothing went wrong with knowledge.
      if (signal?.aborted) return [];
      logger.warn({ error: loggableError(error) }, 'knowledge unavailable; replying without passages');
      return [];
    }
  }
}
