import type { AIEnv } from '../env.js';
import { createOpenAIClient, openAIConfigured } from '../openai-client.js';
import { createEmbeddedSpeech, type PocketsphinxVocabulary } from './embedded.js';
import type { SpeechEnv } from './env.js';
import { createOpenAISpeech } from './openai.js';
import type { SpeechToText, TextToSpeech } from './types.js';

export * from './audio.js';
export * from './types.js';
export { createEmbeddedSpeech, parseEspeakVoiceList, parsePocketsphinxTimes, EMBEDDED_DEFAULT_VOICE, POCKETSPHINX_DEFAULT_MODEL_DIR, type EmbeddedSpeech, type EmbeddedSpeechOptions, type PocketsphinxVocabulary } from './embedded.js';
export { createOpenAISpeech, type OpenAISpeechOptions } from './openai.js';
export { speechEnvShape, type SpeechEnv } from './env.js';
export { createConcurrencyLimit, type ConcurrencyLimit } from './processes.js';

export interface SpeechProviders {
  /** `embedded` or `openai`. */
  engine: 'embedded' | 'openai';
  tts: TextToSpeech;
  stt: SpeechToText;
}

/** The speech providers the env asks for (see speechEnvShape); `pocketsphinxVocabulary` biases the embedded recognizer. */
export function createSpeechProviders(env: SpeechEnv & AIEnv, options: { pocketsphinxVocabulary?: PocketsphinxVocabulary } = {}): SpeechProviders {
  const connection = { baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, timeoutMs: env.OPENAI_TIMEOUT_MS };
  const useOpenAI = env.SPEECH_PROVIDER === 'openai' || (env.SPEECH_PROVIDER === 'auto' && openAIConfigured(connection));
  if (useOpenAI) {
    const speech = createOpenAISpeech({
      client: createOpenAIClient(connection),
      ttsModel: env.OPENAI_TTS_MODEL,
      sttModel: env.OPENAI_STT_MODEL,
      voices: env.OPENAI_TTS_VOICES,
      defaultVoice: env.SPEECH_DEFAULT_VOICE,
    });
    return { engine: 'openai', ...speech };
  }
  const speech = createEmbeddedSpeech({
    espeakPath: env.ESPEAK_NG_PATH,
    pocketsphinxPath: env.POCKETSPHINX_PATH,
    pocketsphinxModelDir: env.POCKETSPHINX_MODEL_DIR,
    soxPath: env.SOX_PATH,
    ffmpegPath: env.FFMPEG_PATH,
    timeoutMs: env.SPEECH_TIMEOUT_MS,
    ...(env.SPEECH_DEFAULT_VOICE ? { defaultVoice: env.SPEECH_DEFAULT_VOICE } : {}),
    ...(env.SPEECH_CONCURRENCY ? { concurrency: env.SPEECH_CONCURRENCY } : {}),
    ...(options.pocketsphinxVocabulary ? { pocketsphinxVocabulary: options.pocketsphinxVocabulary } : {}),
  });
  return { engine: 'embedded', ...speech };
}
