import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { VocabularyEntry } from './normalize.js';

/**
 * The lexicon as the embedded recognizer (pocketsphinx) can use it: a pronunciation for each
 * word its CMU dictionary lacks (lexicon.dict, generated from espeak-ng's phonemes by
 * generate-dictionary.ts) and a word class of drug names added to the stock language model.
 * pocketsphinx only ever outputs words that are in both its dictionary and its language model,
 * so a drug name needs both. (Interpolating a second language model is not reachable from the
 * pocketsphinx 5prealpha command line: `-lmctl` needs `-lmname`, which selects one model.)
 */

/** The words a speaker says for the lexicon: drug names and phrases as written, units and abbreviations as spoken. */
export function recognizerPhrases(lexicon: readonly VocabularyEntry[]): string[][] {
  const phrases: string[][] = [];
  for (const entry of lexicon) {
    // Units and abbreviations are written in a form nobody says ("mg", "BID"); phrases' spoken
    // forms include mishearings ("overrated") that must not be made likelier.
    const said = entry.kind === 'unit' || entry.kind === 'abbreviation' ? (entry.spoken ?? []) : [entry.written];
    for (const phrase of said) {
      const words = phrase
        .toLowerCase()
        .split(/[\s-]+/)
        .map((word) => word.replace(/[^a-z']/g, ''))
        .filter(Boolean);
      if (words.length) phrases.push(words);
    }
  }
  return phrases;
}

/** IPA (as `espeak-ng --ipa` writes it) to the CMU dictionary's ARPAbet phones; longest symbols first. */
const IPA_TO_ARPABET: Array<[string, string[]]> = [
  ['aɪə', ['AY', 'AH']],
  ['aɪ', ['AY']],
  ['aʊ', ['AW']],
  ['eɪ', ['EY']],
  ['oʊ', ['OW']],
  ['ɔɪ', ['OY']],
  ['tʃ', ['CH']],
  ['dʒ', ['JH']],
  ['ɜːɹ', ['ER']],
  ['ɜɹ', ['ER']],
  ['əɹ', ['ER']],
  ['oːɹ', ['AO', 'R']],
  ['ɔːɹ', ['AO', 'R']],
  ['ɑːɹ', ['AA', 'R']],
  ['ɚ', ['ER']],
  ['ɝ', ['ER']],
  ['ɜ', ['ER']],
  ['i', ['IY']],
  ['ɪ', ['IH']],
  ['ᵻ', ['IH']],
  ['ɨ', ['IH']],
  ['e', ['EH']],
  ['ɛ', ['EH']],
  ['æ', ['AE']],
  ['a', ['AE']],
  ['ɑ', ['AA']],
  ['ɒ', ['AA']],
  ['ɔ', ['AO']],
  ['o', ['OW']],
  ['ʊ', ['UH']],
  ['u', ['UW']],
  ['ʌ', ['AH']],
  ['ə', ['AH']],
  ['ɐ', ['AH']],
  ['p', ['P']],
  ['b', ['B']],
  ['t', ['T']],
  ['d', ['D']],
  // American flaps ("atorvastatin"): CMU writes T or D; T is the commoner.
  ['ɾ', ['T']],
  ['k', ['K']],
  ['g', ['G']],
  ['ɡ', ['G']],
  ['f', ['F']],
  ['v', ['V']],
  ['θ', ['TH']],
  ['ð', ['DH']],
  ['s', ['S']],
  ['z', ['Z']],
  ['ʃ', ['SH']],
  ['ʒ', ['ZH']],
  ['h', ['HH']],
  ['x', ['K']],
  ['m', ['M']],
  ['n', ['N']],
  ['ŋ', ['NG']],
  ['l', ['L']],
  ['ɫ', ['L']],
  ['ɹ', ['R']],
  ['r', ['R']],
  ['j', ['Y']],
  ['w', ['W']],
];

/** One word's phones from its IPA; throws on a symbol it cannot map, so the dictionary never holds a guess. */
export function ipaToArpabet(ipa: string): string[] {
  const phones: string[] = [];
  // Stress, syllabic and linking marks and glottal stops carry no phone; length marks are kept
  // until the longest matches (oːɹ) have seen them.
  let rest = ipa.trim().replace(/[ˈˌ‿ʔ-]|\u0329|\u0306|\u031a/gu, '');
  while (rest.length) {
    if (/^[\sː]/u.test(rest)) {
      rest = rest.slice(1);
      continue;
    }
    const match = IPA_TO_ARPABET.find(([symbol]) => rest.startsWith(symbol));
    if (!match) throw new Error(`No ARPAbet phone for "${rest[0]}" in /${ipa}/`);
    // espeak-ng doubles some consonants across syllables ("ʊɹɹ"); a dictionary never does.
    for (const phone of match[1]) if (phone !== phones.at(-1) || /^[AEIOU]/.test(phone)) phones.push(phone);
    rest = rest.slice(match[0].length);
  }
  return phones;
}

/** The words of a pocketsphinx dictionary (`word PH ONES`, alternates as `word(2)`). */
export function dictionaryWords(dictionary: string): Set<string> {
  const words = new Set<string>();
  for (const line of dictionary.split('\n')) {
    const word = line.split(/\s/, 1)[0];
    if (word) words.add(word.replace(/\(\d+\)$/, ''));
  }
  return words;
}

/** The lexicon's words missing from the stock dictionary, sorted. */
export function missingWords(lexicon: readonly VocabularyEntry[], stockWords: ReadonlySet<string>): string[] {
  return [...new Set(recognizerPhrases(lexicon).flat())].filter((word) => !stockWords.has(word)).sort();
}

/** The generated pronunciations shipped beside the lexicon. */
export function builtInPronunciations(): string {
  return readFileSync(fileURLToPath(new URL('./lexicon.dict', import.meta.url)), 'utf8');
}

/**
 * What biases pocketsphinx towards the lexicon: the generated pronunciations, and the drug names
 * among them as one word class added to the stock language model (which has none of them, so
 * without it pocketsphinx can never output one). Units and abbreviations stay out of the class:
 * the stock model knows how they are said ("milligrams"), and a class member would compete
 * with those words as one drug name does with another.
 */
export function recognizerVocabulary(lexicon: readonly VocabularyEntry[], pronunciations = builtInPronunciations()): { pronunciations: string; words: string[] } {
  const drugWords = new Set(recognizerPhrases(lexicon.filter((entry) => entry.kind === 'drug')).flat());
  return { pronunciations, words: [...dictionaryWords(pronunciations)].filter((word) => drugWords.has(word)) };
}

/**
 * Pronunciations (pocketsphinx dictionary lines, sorted) for the lexicon's words the stock
 * dictionary lacks, from espeak-ng's IPA: the recognizer then expects a drug name to sound the
 * way our synthesizer and, near enough, a clinician says it.
 */
export function generatePronunciations(lexicon: readonly VocabularyEntry[], stockDictionary: string, espeakPath = 'espeak-ng'): string {
  const lines = missingWords(lexicon, dictionaryWords(stockDictionary)).map((word) => {
    const ipa = execFileSync(espeakPath, ['-v', 'en-us', '-q', '--ipa', word], { encoding: 'utf8' });
    return `${word} ${ipaToArpabet(ipa).join(' ')}`;
  });
  return lines.map((line) => `${line}\n`).join('');
}
