import { envVar, z } from '@voiceassist/env';

const commaList = (fallback: string) =>
  z
    .string()
    .default(fallback)
    .transform((v) => v.split(',').map((s) => s.trim()).filter(Boolean));

/**
 * Variables of the speech providers, spread (with aiEnvShape) into the env schema of the
 * subgraph that speaks and listens. `auto` uses the OpenAI-compatible server when
 * OPENAI_BASE_URL or OPENAI_API_KEY is set, the embedded Debian engines otherwise.
 */
export const speechEnvShape = {
  SPEECH_PROVIDER: z.enum(['auto', 'embedded', 'openai']).default('auto'),
  /** Voice when neither the request nor the caller's preferences name one (engine default otherwise). */
  SPEECH_DEFAULT_VOICE: envVar.optionalString(),
  OPENAI_TTS_MODEL: z.string().default('tts-1'),
  OPENAI_TTS_VOICES: commaList('alloy,ash,coral,echo,fable,nova,onyx,sage,shimmer'),
  OPENAI_STT_MODEL: z.string().default('whisper-1'),
  ESPEAK_NG_PATH: z.string().default('espeak-ng'),
  POCKETSPHINX_PATH: z.string().default('pocketsphinx_continuous'),
  POCKETSPHINX_MODEL_DIR: z.string().default('/usr/share/pocketsphinx/model/en-us'),
  SOX_PATH: z.string().default('sox'),
  FFMPEG_PATH: z.string().default('ffmpeg'),
  /** One engine run (or remote call) is stopped after this long. */
  SPEECH_TIMEOUT_MS: envVar.positiveInt(900_000),
  /** Embedded engine processes at once, per instance; the number of CPUs when unset. */
  SPEECH_CONCURRENCY: z.preprocess((v) => (v === '' ? undefined : v), z.coerce.number().int().positive().optional()),
};

export type SpeechEnv = z.infer<z.ZodObject<typeof speechEnvShape>>;
