import type { AudioInput } from './audio-input.js';
import type { VoiceSpeech } from './speech.js';
import type { Vocabulary } from './vocabulary/store.js';

/** A transcription as the API returns it: written clinically, with what the engine heard beside it. */
export interface Heard {
  text: string;
  rawText: string;
  language: string | null;
  confidence: number | null;
  durationMs: number;
}

export type Hear = (userId: string, audio: AudioInput, field: string) => Promise<Heard>;

/** Speech to text biased towards, then normalized with, the organisation's vocabulary. */
export function createHearing(speech: Pick<VoiceSpeech, 'transcribe'>, vocabulary: Pick<Vocabulary, 'normalizer'>): Hear {
  return async (userId, audio, field) => {
    const normalizer = await vocabulary.normalizer();
    const result = await speech.transcribe(userId, audio, field, normalizer.prompt);
    return { ...result, rawText: result.text, text: normalizer.normalize(result.text) };
  };
}
