import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { SearchMode } from './search.js';
import { CLINICAL_PASSAGES, CLINICAL_QUESTIONS } from './testing/clinical-corpus.js';
import { startTestKnowledge, vectorBackendsHere, type TestKnowledge } from './testing/service.js';

// Retrieval quality with the embedded (hashed n-gram) embeddings on a small clinical corpus:
// hit@1 and hit@5 per mode, printed as a table. Hybrid search must beat each method alone.
const MODES: SearchMode[] = ['KEYWORD', 'SEMANTIC', 'HYBRID'];

describe.each(vectorBackendsHere())('retrieval quality (%s)', (backend) => {
  let knowledge: TestKnowledge;
  const keyOfDocument = new Map<string, string>();

  beforeAll(async () => {
    knowledge = await startTestKnowledge({ env: { KNOWLEDGE_VECTOR_INDEX: backend } });
    for (const passage of CLINICAL_PASSAGES) {
      const document = await knowledge.service.ingestion.ingest({ title: passage.title, mimeType: 'text/plain', text: passage.text }, null);
      keyOfDocument.set(document.id, passage.key);
    }
    await knowledge.service.ingestion.idle();
  });

  afterAll(() => knowledge?.drop());

  it('hybrid beats keyword and semantic search alone', async () => {
    expect(CLINICAL_PASSAGES.length).toBeGreaterThanOrEqual(30);
    expect(CLINICAL_QUESTIONS.length).toBeGreaterThanOrEqual(20);
    const results: Record<SearchMode, { hit1: number; hit5: number }> = { KEYWORD: { hit1: 0, hit5: 0 }, SEMANTIC: { hit1: 0, hit5: 0 }, HYBRID: { hit1: 0, hit5: 0 } };
    const misses: string[] = [];
    for (const { question, answer } of CLINICAL_QUESTIONS) {
      for (const mode of MODES) {
        const hits = await knowledge.service.search.search({ query: question, limit: 5, mode });
        const rank = hits.findIndex((hit) => keyOfDocument.get(hit.documentId) === answer);
        if (rank === 0) results[mode].hit1 += 1;
        if (rank >= 0) results[mode].hit5 += 1;
        if (mode === 'HYBRID' && rank !== 0) misses.push(`${question} → ${answer} (rank ${rank < 0 ? '>5' : rank + 1})`);
      }
    }
    const n = CLINICAL_QUESTIONS.length;
    const pct = (x: number) => `${((x / n) * 100).toFixed(0)}%`;
    console.log(
      [
        `Retrieval quality, ${backend}, ${CLINICAL_PASSAGES.length} passages, ${n} questions, embedded embeddings:`,
        '| mode | hit@1 | hit@5 |',
        '| --- | --- | --- |',
        ...MODES.map((mode) => `| ${mode} | ${results[mode].hit1}/${n} (${pct(results[mode].hit1)}) | ${results[mode].hit5}/${n} (${pct(results[mode].hit5)}) |`),
        `HYBRID not first: ${misses.join('; ') || 'none'}`,
      ].join('\n'),
    );
    for (const single of ['KEYWORD', 'SEMANTIC'] as const) {
      expect(results.HYBRID.hit1, `hit@1 HYBRID vs ${single}`).toBeGreaterThan(results[single].hit1);
      expect(results.HYBRID.hit5, `hit@5 HYBRID vs ${single}`).toBeGreaterThanOrEqual(results[single].hit5);
    }
  });
});
