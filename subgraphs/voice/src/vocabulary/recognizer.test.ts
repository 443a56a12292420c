import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { createEmbeddedSpeech, POCKETSPHINX_DEFAULT_MODEL_DIR } from '@voiceassist/ai';
import { builtInLexicon } from './normalize.js';
import { builtInPronunciations, dictionaryWords, generatePronunciations, ipaToArpabet, recognizerVocabulary } from './recognizer.js';

const stockDictionary = readFileSync(join(POCKETSPHINX_DEFAULT_MODEL_DIR, 'cmudict-en-us.dict'), 'utf8');

describe('the lexicon for the embedded recognizer', () => {
  it('ships pronunciations generated from the current lexicon (regenerate with generate-dictionary.ts)', () => {
    expect(builtInPronunciations()).toBe(generatePronunciations(builtInLexicon(), stockDictionary));
  });

  it('maps espeak-ng IPA to CMU phones, and refuses a symbol it does not know', () => {
    expect(ipaToArpabet('mˈɛtfoːɹmˌɪn')).toEqual(['M', 'EH', 'T', 'F', 'AO', 'R', 'M', 'IH', 'N']);
    expect(ipaToArpabet('hˌaɪdɹəklˌoːɹoʊθɪˈeɪzaɪd')).toEqual(['HH', 'AY', 'D', 'R', 'AH', 'K', 'L', 'AO', 'R', 'OW', 'TH', 'IH', 'EY', 'Z', 'AY', 'D']);
    expect(() => ipaToArpabet('ʘa')).toThrow(/ʘ/);
  });

  it('makes every drug name hearable, and only drug names a word class', () => {
    const { words } = recognizerVocabulary(builtInLexicon());
    const known = new Set([...dictionaryWords(stockDictionary), ...words]);
    const drugs = builtInLexicon().filter((entry) => entry.kind === 'drug').map((entry) => entry.written);
    expect(drugs.filter((drug) => !known.has(drug))).toEqual([]);
    expect(words).toContain('lisinopril');
    expect(words).not.toContain('milligrammes');
  });

  it('hears a drug name espeak-ng speaks that the stock recognizer cannot', async () => {
    const stock = createEmbeddedSpeech({ concurrency: 1 });
    const biased = createEmbeddedSpeech({ concurrency: 1, pocketsphinxVocabulary: recognizerVocabulary(builtInLexicon()) });
    const spoken = await stock.tts.synthesize({ text: 'continue lisinopril ten milligrams daily', voice: stock.tts.defaultVoice, rate: 1, format: 'wav' });
    const [before, after] = await Promise.all([stock.stt.transcribe({ audio: spoken.audio, container: 'wav' }), biased.stt.transcribe({ audio: spoken.audio, container: 'wav' })]);
    expect(before.text).not.toContain('lisinopril');
    expect(after.text).toContain('lisinopril');
    expect(after.text).toMatch(/^continue lisinopril ten\b/);
  }, 60_000);
});
