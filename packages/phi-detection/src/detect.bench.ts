import { formatNumber, percentile, type Benchmark } from '@voiceassist/benchmarks';
import { detectPhi } from './detect.js';
import { evaluate, labelledCorpus } from './evaluation.js';

// Precision and recall per identifier class on our labelled corpus (data/corpus*.json), and how
// long detection takes on a dictation-sized text. A finding counts when it overlaps a label of
// the same class; "characters covered" shows spans cut short.
const goal = (kind: string) => (kind === 'NAME' ? 0.85 : 0.95);

const bench: Benchmark = async ({ quick }) => {
  const tables = (['development', 'held-out'] as const).map((which) => {
    const samples = labelledCorpus(which);
    const { classes, overall, characterCoverage } = evaluate(samples);
    return {
      caption: `${which} set: ${samples.length} samples, ${classes.reduce((n, c) => n + c.expected, 0)} labels; overall precision ${formatNumber(overall.precision, 3)}, recall ${formatNumber(overall.recall, 3)}, labelled characters covered ${formatNumber(characterCoverage, 3)}`,
      columns: ['class', 'labels', 'found', 'precision', 'recall', 'recall goal'],
      rows: classes.map((c) => [c.kind, c.expected, c.found, formatNumber(c.precision, 3), formatNumber(c.recall, 3), `≥ ${goal(c.kind)}`]),
    };
  });

  const dictation = labelledCorpus('development').map((s) => s.text).join(' ');
  const runs = quick ? 50 : 500;
  const samples: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    detectPhi(dictation);
    samples.push(performance.now() - started);
  }
  samples.sort((a, b) => a - b);
  tables.push({
    caption: 'Detection time on one text (ms)',
    columns: ['text', 'characters', 'runs', 'p50', 'p95', 'characters per ms (p50)'],
    rows: [['the development set joined', dictation.length, runs, formatNumber(percentile(samples, 50)), formatNumber(percentile(samples, 95)), formatNumber(dictation.length / percentile(samples, 50), 0)]],
  });
  return {
    title: 'PHI detection: precision and recall per class (`pnpm bench phi-detection`)',
    notes: [
      'Corpus written for this project (no real patients). The rules were tuned on the development set; the held-out set was written afterwards (its first measurement is in BENCHMARKS.md).',
      'Synchronous, one process, no I/O.',
    ],
    tables,
  };
};

export default bench;
