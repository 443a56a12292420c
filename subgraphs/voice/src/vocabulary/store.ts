import { asc, sql } from 'drizzle-orm';
import type { Database } from '@voiceassist/database';
import { badUserInput } from '@voiceassist/errors';
import { vocabularyTerms, type VocabularyTermRow } from '../db/schema.js';
import { builtInLexicon, createNormalizer, type TermKind, type TranscriptNormalizer, type VocabularyEntry } from './normalize.js';

export const MAX_TERMS_PER_CALL = 200;
export const MAX_ORGANISATION_TERMS = 5_000;
const MAX_TERM_CHARS = 100;
const KINDS: readonly TermKind[] = ['drug', 'unit', 'abbreviation', 'phrase'];

export interface VocabularyTermInput {
  written: string;
  spoken?: string[] | null;
  kind?: 'DRUG' | 'UNIT' | 'ABBREVIATION' | 'PHRASE' | null;
}

export interface Vocabulary {
  /** The organisation's terms, oldest first. */
  terms(): Promise<VocabularyTermRow[]>;
  /** Adds (or, for a written form already there, replaces) terms; all or none. */
  add(input: readonly VocabularyTermInput[]): Promise<VocabularyTermRow[]>;
  /** The shipped lexicon with the organisation's terms on top (theirs win where both define a spoken form). */
  normalizer(): Promise<TranscriptNormalizer>;
  /** The shipped lexicon only (benchmarks compare against it). */
  builtIn: TranscriptNormalizer;
}

function checkTerm(input: VocabularyTermInput, i: number): VocabularyEntry {
  const written = input.written.trim().replace(/\s+/g, ' ');
  if (!written || written.length > MAX_TERM_CHARS) throw badUserInput(`A written form is 1 to ${MAX_TERM_CHARS} characters`, `terms.${i}.written`);
  const spoken = (input.spoken ?? []).map((s) => s.trim().toLowerCase().replace(/\s+/g, ' '));
  spoken.forEach((form, k) => {
    if (!form || form.length > MAX_TERM_CHARS || !/^[\p{L}\p{N}' .-]+$/u.test(form)) {
      throw badUserInput(`A spoken form is 1 to ${MAX_TERM_CHARS} letters, digits and spaces`, `terms.${i}.spoken.${k}`);
    }
  });
  const kind = (input.kind ?? 'DRUG').toLowerCase() as TermKind;
  if (!KINDS.includes(kind)) throw badUserInput('Unknown term kind', `terms.${i}.kind`);
  return { written, spoken: [...new Set(spoken)], kind };
}

export function createVocabulary(db: Database): Vocabulary {
  const builtIn = builtInLexicon();
  const terms = () => db.select().from(vocabularyTerms).orderBy(asc(vocabularyTerms.createdAt), asc(vocabularyTerms.written));
  // Rebuilt only when the organisation's terms change (any instance's change shows in count or newest).
  let cached: { stamp: string; normalizer: TranscriptNormalizer } | undefined;

  return {
    terms,
    builtIn: createNormalizer(builtIn),

    async add(input) {
      if (input.length === 0 || input.length > MAX_TERMS_PER_CALL) throw badUserInput(`Send 1 to ${MAX_TERMS_PER_CALL} terms`, 'terms');
      // One row per written form: the last one sent wins.
      const entries = [...new Map(input.map((term, i) => checkTerm(term, i)).map((e) => [e.written, e] as const)).values()];
      return db.transaction(async (tx) => {
        const rows = await tx
          .insert(vocabularyTerms)
          .values(entries.map((e) => ({ written: e.written, spoken: e.spoken ?? [], kind: e.kind })))
          .onConflictDoUpdate({ target: vocabularyTerms.written, set: { spoken: sql`excluded.spoken`, kind: sql`excluded.kind`, createdAt: new Date() } })
          .returning();
        const [count] = await tx.select({ n: sql<number>`count(*)::int` }).from(vocabularyTerms);
        if ((count?.n ?? 0) > MAX_ORGANISATION_TERMS) throw badUserInput(`The organisation's vocabulary holds at most ${MAX_ORGANISATION_TERMS} terms`, 'terms');
        return rows;
      });
    },

    async normalizer() {
      const [stamp] = await db.select({ n: sql<number>`count(*)::int`, newest: sql<string | null>`max(${vocabularyTerms.createdAt})::text` }).from(vocabularyTerms);
      const key = `${stamp?.n ?? 0}:${stamp?.newest ?? ''}`;
      if (cached?.stamp === key) return cached.normalizer;
      const own = (await terms()).map((t) => ({ written: t.written, spoken: t.spoken, kind: t.kind }));
      cached = { stamp: key, normalizer: createNormalizer([...own, ...builtIn]) };
      return cached.normalizer;
    },
  };
}
