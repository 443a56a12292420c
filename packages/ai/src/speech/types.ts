import type { AudioContainer, SpeechFormat } from './audio.js';

export interface SpeechVoice {
  /** What callers pass as `voice`, e.g. `en-us+klatt` (espeak-ng) or `alloy` (OpenAI). */
  id: string;
  name: string;
  /** BCP 47-ish language tag, e.g. `en-us`. */
  language: string;
}

export interface SynthesisRequest {
  text: string;
  /** A voice id from `voices()`. */
  voice: string;
  /** Speed multiplier: 1 is the engine's normal pace. */
  rate: number;
  format: SpeechFormat;
  signal?: AbortSignal;
}

export interface SynthesizedSpeech {
  audio: Buffer;
  format: SpeechFormat;
  mimeType: string;
  durationMs: number;
  voice: string;
}

/** Text to speech, one interface whatever the engine. */
export interface TextToSpeech {
  /** `embedded` (espeak-ng) or `openai`. */
  readonly engine: string;
  readonly defaultVoice: string;
  voices(): Promise<SpeechVoice[]>;
  /** Formats this engine can produce here (WAV always). */
  formats(): Promise<SpeechFormat[]>;
  synthesize(request: SynthesisRequest): Promise<SynthesizedSpeech>;
}

export interface TranscriptionRequest {
  audio: Buffer;
  /** What the bytes are (sniffed by the caller). */
  container: AudioContainer;
  /** Hint such as `en`; engines that only know one language refuse others. */
  language?: string | undefined;
  /** Refuse audio longer than this after decoding. */
  maxDurationMs?: number;
  /**
   * Words to expect (a vocabulary), for engines that take a hint: the OpenAI-compatible
   * `prompt`. The embedded recognizer ignores it: its vocabulary is given when it is created
   * (EmbeddedSpeechOptions.pocketsphinxVocabulary).
   */
  prompt?: string | undefined;
  signal?: AbortSignal;
}

export interface TranscriptionResult {
  text: string;
  language: string | null;
  /** 0..1 where the engine reports it. */
  confidence: number | null;
  durationMs: number;
}

/** Speech to text, one interface whatever the engine. */
export interface SpeechToText {
  readonly engine: string;
  transcribe(request: TranscriptionRequest): Promise<TranscriptionResult>;
}

export type SpeechInputProblem = 'INVALID_AUDIO' | 'TOO_LONG' | 'UNSUPPORTED_LANGUAGE' | 'UNSUPPORTED_VOICE' | 'UNSUPPORTED_FORMAT';

/**
 * The caller's input is at fault (undecodable audio, too long, a language the engine lacks).
 * Providers do not know the GraphQL argument names, so the API layer maps this to
 * BAD_USER_INPUT with the field.
 */
export class SpeechInputError extends Error {
  constructor(
    readonly problem: SpeechInputProblem,
    message: string,
  ) {
    super(message);
    this.name = 'SpeechInputError';
  }
}
