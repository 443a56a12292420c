import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export type TermKind = 'drug' | 'unit' | 'abbreviation' | 'phrase';

/** One term of the medical vocabulary: how it is written, and what a speaker says (or a recognizer hears) for it. */
export interface VocabularyEntry {
  written: string;
  /** Spoken forms, lowercase words; the written form itself always counts as one. */
  spoken?: string[];
  kind: TermKind;
}

/** The lexicon shipped with the repository (lexicon.json beside this file). */
export function builtInLexicon(): VocabularyEntry[] {
  const file = fileURLToPath(new URL('./lexicon.json', import.meta.url));
  return (JSON.parse(readFileSync(file, 'utf8')) as { entries: VocabularyEntry[] }).entries;
}

const SMALL: Record<string, number> = {
  zero: 0, one: 1, two: 2, three: 3, four: 4, five: 5, six: 6, seven: 7, eight: 8, nine: 9, ten: 10,
  eleven: 11, twelve: 12, thirteen: 13, fourteen: 14, fifteen: 15, sixteen: 16, seventeen: 17, eighteen: 18, nineteen: 19,
};
const TENS: Record<string, number> = { twenty: 20, thirty: 30, forty: 40, fifty: 50, sixty: 60, seventy: 70, eighty: 80, ninety: 90 };
const DIGITS: Record<string, string> = { zero: '0', one: '1', two: '2', three: '3', four: '4', five: '5', six: '6', seven: '7', eight: '8', nine: '9' };

/** A token as compared: lowercase, without surrounding punctuation. */
const bare = (token: string) => token.toLowerCase().replace(/^[^\p{L}\p{N}]+|[^\p{L}\p{N}%]+$/gu, '');
/** Punctuation a token ends with (kept when the token is replaced). */
const trailing = (token: string) => /[.,;:!?]+$/.exec(token)?.[0] ?? '';

/**
 * Reads a spoken number starting at `start` ("one hundred thirty", "zero point five", "130"):
 * its digits, how many tokens it took, and whether it was spoken in words.
 */
export function readNumber(tokens: readonly string[], start: number): { digits: string; length: number; spoken: boolean } | undefined {
  const first = bare(tokens[start] ?? '');
  if (/^\d+(\.\d+)?$/.test(first)) return { digits: first, length: 1, spoken: false };
  let i = start;
  let total = 0;
  let current = 0;
  let seen = false;
  for (; i < tokens.length; i++) {
    const word = bare(tokens[i]!);
    const small = SMALL[word];
    const tens = TENS[word];
    if (small !== undefined && (!seen || current % 100 === 0 || (current % 100 >= 20 && current % 10 === 0 && small < 10))) current += small;
    else if (tens !== undefined && (!seen || current % 100 === 0)) current += tens;
    // "one fifty" as readings are said: 150.
    else if (tens !== undefined && i === start + 1 && current >= 1 && current <= 9) current = current * 100 + tens;
    else if (word === 'hundred' && current > 0 && current < 100) current *= 100;
    else if (word === 'thousand' && total === 0 && current > 0) {
      total = current * 1000;
      current = 0;
    } else break;
    seen = true;
    // "ninety. Lungs" is two things.
    if (trailing(tokens[i]!)) {
      i++;
      return { digits: String(total + current), length: i - start, spoken: true };
    }
  }
  if (!seen) return undefined;
  let digits = String(total + current);
  // "zero point five", "point two five": decimals digit by digit.
  if (bare(tokens[i] ?? '') === 'point' && !trailing(tokens[i]!) && DIGITS[bare(tokens[i + 1] ?? '')] !== undefined) {
    let decimals = '';
    let j = i + 1;
    while (j < tokens.length && DIGITS[bare(tokens[j]!)] !== undefined) {
      decimals += DIGITS[bare(tokens[j]!)];
      j++;
      if (trailing(tokens[j - 1]!)) break;
    }
    digits += `.${decimals}`;
    i = j;
  }
  return { digits, length: i - start, spoken: true };
}

interface Phrase {
  words: string[];
  written: string;
  kind: TermKind;
}

export interface TranscriptNormalizer {
  /** Writes a transcript as a clinician would: "five hundred milligrams b i d" → "500 mg BID". */
  normalize(text: string): string;
  /** Words to bias a recognizer towards (OpenAI-compatible `prompt`), most specific first. */
  prompt: string;
}

/**
 * Builds a normalizer from vocabulary entries (the shipped lexicon plus an organisation's own).
 * Spoken forms are matched longest first on word boundaries; units are written as units only
 * after a number; spoken numbers become digits where a clinician writes digits (with a unit,
 * in "X over Y" readings, or from ten up).
 */
export function createNormalizer(entries: readonly VocabularyEntry[]): TranscriptNormalizer {
  const phrases: Phrase[] = [];
  for (const entry of entries) {
    const forms = new Set([...(entry.spoken ?? []), ...(entry.kind === 'unit' ? [] : [entry.written])].map((s) => s.toLowerCase().trim()).filter(Boolean));
    for (const form of forms) phrases.push({ words: form.split(/\s+/).map(bare).filter(Boolean), written: entry.written, kind: entry.kind });
  }
  phrases.sort((a, b) => b.words.length - a.words.length);
  const units = phrases.filter((p) => p.kind === 'unit');
  const others = phrases.filter((p) => p.kind !== 'unit');

  const matchAt = (tokens: readonly string[], start: number, candidates: Phrase[]) =>
    candidates.find((p) => p.words.every((w, k) => bare(tokens[start + k] ?? '') === w && (k === p.words.length - 1 || !trailing(tokens[start + k]!))));

  /** Spoken forms of terms to their written forms (first, so "a one c" is not read as a number). */
  function writeTerms(tokens: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; ) {
      const phrase = matchAt(tokens, i, others);
      if (!phrase) {
        out.push(tokens[i++]!);
        continue;
      }
      const end = i + phrase.words.length;
      const lead = /^[^\p{L}\p{N}]*/u.exec(tokens[i]!)?.[0] ?? '';
      // A sentence's capital stays ("Aspirin 81 mg"); abbreviations keep their own case.
      const capital = /^[^\p{L}]*\p{Lu}/u.test(tokens[i]!) && phrase.written === phrase.written.toLowerCase();
      const written = capital ? phrase.written[0]!.toUpperCase() + phrase.written.slice(1) : phrase.written;
      out.push(...`${lead}${written}${trailing(tokens[end - 1]!)}`.split(' '));
      i = end;
    }
    return out;
  }

  /** Spoken numbers to digits where a clinician writes digits, with their units. */
  function writeNumbers(tokens: readonly string[]): string[] {
    const out: string[] = [];
    for (let i = 0; i < tokens.length; ) {
      const number = readNumber(tokens, i);
      if (!number) {
        out.push(tokens[i++]!);
        continue;
      }
      let end = i + number.length;
      let written = number.digits;
      // "one hundred thirty over eighty" is a reading such as blood pressure.
      if (!trailing(tokens[end - 1]!) && bare(tokens[end] ?? '') === 'over' && !trailing(tokens[end]!)) {
        const second = readNumber(tokens, end + 1);
        if (second) {
          written = `${number.digits}/${second.digits}`;
          end += 1 + second.length;
        }
      }
      const unit = trailing(tokens[end - 1]!) ? undefined : matchAt(tokens, end, units);
      if (unit) {
        const unitEnd = end + unit.words.length;
        out.push(written, `${unit.written}${trailing(tokens[unitEnd - 1]!)}`);
        i = unitEnd;
      } else if (written.includes('/') || !number.spoken || Number(number.digits) >= 10 || number.digits.includes('.')) {
        out.push(`${written}${trailing(tokens[end - 1]!)}`);
        i = end;
      } else {
        // "one tablet", "no one": small numbers stay words.
        out.push(...tokens.slice(i, end));
        i = end;
      }
    }
    return out;
  }

  const normalize = (text: string) => writeNumbers(writeTerms(text.split(/\s+/).filter(Boolean))).join(' ');

  const promptTerms = [...new Set(entries.filter((e) => e.kind === 'drug' || e.kind === 'abbreviation').map((e) => e.written))];
  return { normalize, prompt: `Clinical dictation. Terms: ${promptTerms.slice(0, 150).join(', ')}.` };
}
