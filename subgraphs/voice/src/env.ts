import { aiEnvShape, chatEnvShape, speechEnvShape } from '@voiceassist/ai';
import { commonEnvShape, envVar, z } from '@voiceassist/env';

export const voiceEnvSchema = z.object({
  ...commonEnvShape,
  ...aiEnvShape,
  ...speechEnvShape,
  /** The model that writes SOAP notes when an OpenAI-compatible server is configured. */
  OPENAI_CHAT_MODEL: chatEnvShape.OPENAI_CHAT_MODEL,
  VOICE_PORT: envVar.port(4004),
  /** Largest audio accepted by `transcribe` and `appendDictation`, decoded bytes (25 MB). */
  TRANSCRIBE_MAX_BYTES: envVar.positiveInt(26_214_400),
  /** Longest audio accepted, in seconds (10 minutes). */
  TRANSCRIBE_MAX_SECONDS: envVar.positiveInt(600),
  /** Longest text `synthesize` and `Message.speech` read aloud, in characters. */
  SYNTHESIZE_MAX_CHARS: envVar.positiveInt(4_000),
  /** Bytes of synthesized audio kept in each instance's memory (LRU); 0 turns caching off. */
  SPEECH_CACHE_MAX_BYTES: z.coerce.number().int().min(0).default(67_108_864),
  /** How long synthesized audio stays in the shared Redis cache (with REDIS_URL). */
  SPEECH_CACHE_TTL_SECONDS: envVar.positiveInt(86_400),
  /** Uncached speech engine runs (synthesis, transcription) per user per minute. */
  SPEECH_REQUESTS_PER_MINUTE: envVar.positiveInt(60),
  /** A dictation session untouched for this long expires and its transcript is deleted. */
  DICTATION_IDLE_TIMEOUT_SECONDS: envVar.positiveInt(1_800),
  /**
   * The conversation subgraph, asked who owns a message before reading it aloud; empty means
   * http://localhost:4002/graphql (the router reads the same variable for the same URL).
   */
  CONVERSATION_URL: envVar.url(),
  /**
   * `askByVoice` answers a question heard with a lower confidence (0 to 1) with a request to
   * repeat it instead of sending it to the language model.
   */
  VOICE_REPAIR_MIN_CONFIDENCE: z.coerce.number().min(0).max(1).default(0.2),
});

export type VoiceEnv = z.infer<typeof voiceEnvSchema>;
