import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { POCKETSPHINX_DEFAULT_MODEL_DIR } from '@voiceassist/ai';
import { builtInLexicon } from './normalize.js';
import { generatePronunciations } from './recognizer.js';

// npx tsx subgraphs/voice/src/vocabulary/generate-dictionary.ts [--check]: writes lexicon.dict
// (pronunciations of lexicon words pocketsphinx-en-us lacks, from espeak-ng), or fails when stale.
const check = process.argv.includes('--check');
const outputPath = fileURLToPath(new URL('./lexicon.dict', import.meta.url));
const stock = readFileSync(join(POCKETSPHINX_DEFAULT_MODEL_DIR, 'cmudict-en-us.dict'), 'utf8');
const generated = generatePronunciations(builtInLexicon(), stock);
if (check) {
  if (readFileSync(outputPath, 'utf8') !== generated) {
    console.error('lexicon.dict is stale: run `npx tsx subgraphs/voice/src/vocabulary/generate-dictionary.ts` and commit the result.');
    process.exit(1);
  }
  console.log('lexicon.dict is up to date.');
} else {
  writeFileSync(outputPath, generated);
  console.log(`Wrote ${generated.split('\n').length - 1} pronunciations to lexicon.dict.`);
}
