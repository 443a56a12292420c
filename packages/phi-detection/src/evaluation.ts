import corpus from '../data/corpus.json' with { type: 'json' };
import heldOutCorpus from '../data/corpus-held-out.json' with { type: 'json' };
import { detectPhi, PHI_KINDS, type PhiFinding, type PhiKind } from './detect.js';

export interface LabelledSample {
  text: string;
  expected: PhiFinding[];
}

type CorpusFile = { samples: Array<{ text: string; phi: string[][] }> };

/** The labelled corpus: `development` (data/corpus.json, what the rules were tuned on) or `held-out` (data/corpus-held-out.json). */
export function labelledCorpus(which: 'development' | 'held-out' = 'development'): LabelledSample[] {
  return ((which === 'development' ? corpus : heldOutCorpus) as CorpusFile).samples.map(({ text, phi }) => {
    let from = 0;
    const expected = phi.map(([kind, value]) => {
      const start = text.indexOf(value!, from);
      if (start < 0) throw new Error(`corpus label not found in its sample (kind ${kind})`);
      from = start + 1;
      return { kind: kind as PhiKind, start, end: start + value!.length, confidence: 1 };
    });
    return { text, expected };
  });
}

export interface ClassScore {
  kind: PhiKind;
  expected: number;
  found: number;
  truePositives: number;
  precision: number;
  recall: number;
}

const overlaps = (a: PhiFinding, b: PhiFinding) => a.kind === b.kind && a.start < b.end && b.start < a.end;

/**
 * Precision and recall per class: a finding counts when it overlaps a label of the same kind
 * (recall: labels overlapped by a finding; precision: findings overlapping a label). Also the share
 * of labelled characters the findings cover, so a span cut short shows up somewhere.
 */
export function evaluate(samples: LabelledSample[], detect: (text: string) => PhiFinding[] = detectPhi) {
  const counts = new Map<PhiKind, { expected: number; found: number; hit: number; correct: number }>(PHI_KINDS.map((k) => [k, { expected: 0, found: 0, hit: 0, correct: 0 }]));
  let labelledChars = 0;
  let coveredChars = 0;
  for (const sample of samples) {
    const found = detect(sample.text);
    for (const label of sample.expected) {
      const count = counts.get(label.kind)!;
      count.expected++;
      const matches = found.filter((f) => overlaps(f, label));
      if (matches.length) count.hit++;
      labelledChars += label.end - label.start;
      for (let i = label.start; i < label.end; i++) if (matches.some((f) => f.start <= i && i < f.end)) coveredChars++;
    }
    for (const finding of found) {
      const count = counts.get(finding.kind)!;
      count.found++;
      if (sample.expected.some((label) => overlaps(finding, label))) count.correct++;
    }
  }
  const classes: ClassScore[] = PHI_KINDS.map((kind) => {
    const c = counts.get(kind)!;
    return { kind, expected: c.expected, found: c.found, truePositives: c.hit, precision: c.found ? c.correct / c.found : 1, recall: c.expected ? c.hit / c.expected : 1 };
  });
  const total = classes.reduce((sum, c) => ({ expected: sum.expected + c.expected, hit: sum.hit + c.truePositives, found: sum.found + c.found }), { expected: 0, hit: 0, found: 0 });
  const correct = [...counts.values()].reduce((sum, c) => sum + c.correct, 0);
  return {
    classes,
    overall: { precision: total.found ? correct / total.found : 1, recall: total.expected ? total.hit / total.expected : 1 },
    characterCoverage: labelledChars ? coveredChars / labelledChars : 1,
  };
}
