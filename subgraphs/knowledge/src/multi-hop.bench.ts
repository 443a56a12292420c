import { planHopsHeuristically, retrieveMultiHop, type ChatPassage } from '@voiceassist/ai';
import type { Benchmark } from '@voiceassist/benchmarks';
import { loadEnv } from '@voiceassist/env';
import { createLogger } from '@voiceassist/logging';
import { createKnowledgeService, knowledgeEnvSchema } from './service.js';
import { CLINICAL_PASSAGES } from './testing/clinical-corpus.js';
import { MULTI_HOP_PASSAGES, MULTI_HOP_QUESTIONS } from './testing/multi-hop-corpus.js';

// Answer-passage recall of our own two-hop questions (testing/multi-hop-corpus.ts) among the
// clinical corpus' passages as distractors: one hybrid search of the question against the
// multi-hop retrieval conversation uses (the embedded provider's heuristic plan, a search per
// hop, the second with the name the first found), both given the same number of passages.
const logger = createLogger({ service: 'knowledge-bench', level: 'silent' });
const PASSAGE_BUDGETS = [2, 3, 5];

const bench: Benchmark = async () => {
  const env = loadEnv(knowledgeEnvSchema, { NODE_ENV: 'production', KNOWLEDGE_VECTOR_INDEX: 'exact' });
  const service = await createKnowledgeService({ env, logger, infra: {} });
  await service.server.listen(0, '127.0.0.1');
  try {
    const keyOfDocument = new Map<string, string>();
    for (const passage of [...CLINICAL_PASSAGES, ...MULTI_HOP_PASSAGES]) {
      const document = await service.ingestion.ingest({ title: passage.title, mimeType: 'text/plain', text: passage.text }, null);
      keyOfDocument.set(document.id, passage.key);
    }
    await service.ingestion.idle();
    const keyOfChunk = new Map<string, string>();
    const search = async (query: string, limit: number): Promise<ChatPassage[]> => {
      const hits = await service.search.search({ query, limit, mode: 'HYBRID' });
      for (const hit of hits) keyOfChunk.set(hit.id, keyOfDocument.get(hit.documentId)!);
      return hits.map((hit) => ({ id: hit.id, text: hit.content }));
    };

    const rows: Array<Array<string | number>> = [];
    let planned = 0;
    for (const budget of PASSAGE_BUDGETS) {
      const found = { single: { passages: 0, both: 0 }, multi: { passages: 0, both: 0 } };
      for (const { question, answers } of MULTI_HOP_QUESTIONS) {
        const hops = planHopsHeuristically(question);
        if (budget === PASSAGE_BUDGETS[0] && hops.length > 1) planned += 1;
        const single = await search(question, budget);
        const multi = await retrieveMultiHop({ question, hops, search: (query) => search(query, budget), limit: budget });
        for (const [method, passages] of [['single', single], ['multi', multi]] as const) {
          const keys = new Set(passages.map((p) => keyOfChunk.get(p.id)));
          const hit = answers.filter((key) => keys.has(key)).length;
          found[method].passages += hit;
          if (hit === answers.length) found[method].both += 1;
        }
      }
      const n = MULTI_HOP_QUESTIONS.length;
      for (const method of ['single', 'multi'] as const) {
        rows.push([
          method === 'single' ? 'single search of the question' : 'multi-hop (heuristic plan, bridged)',
          budget,
          (found[method].passages / (2 * n)).toFixed(2),
          `${found[method].both}/${n}`,
        ]);
      }
    }
    return {
      title: 'Multi-hop retrieval: answer-passage recall',
      notes: [
        `${MULTI_HOP_QUESTIONS.length} two-hop questions of our own over ${MULTI_HOP_PASSAGES.length + CLINICAL_PASSAGES.length} passages (${MULTI_HOP_PASSAGES.length} of them the questions' own, the rest the clinical corpus); hybrid search, embedded embeddings, PGlite, exact vector scan.`,
        `The heuristic planner split ${planned} of ${MULTI_HOP_QUESTIONS.length} questions into two hops. Both methods return at most the same number of passages (the budget).`,
      ],
      tables: [{ caption: 'Recall of the passages each answer needs', columns: ['retrieval', 'passages', 'answer-passage recall', 'questions with both passages'], rows }],
    };
  } finally {
    await service.close();
  }
};

export default bench;
