import { createHash } from 'node:crypto';
import { SpeechInputError, type SpeechFormat, type SpeechProviders, type SpeechVoice, type TranscriptionResult } from '@voiceassist/ai';
import { badUserInput, rateLimited } from '@voiceassist/errors';
import type { RateLimiter } from '@voiceassist/rate-limit';
import { decodeAudioInput, type AudioInput } from './audio-input.js';
import type { SpeechCache } from './speech-cache.js';

export const MIN_RATE = 0.5;
export const MAX_RATE = 2;

/** What the GraphQL `SpeechAudio` type resolves from. */
export interface SpeechAudio {
  mimeType: string;
  base64: string;
  durationMs: number;
  voice: string;
  format: 'WAV' | 'MP3' | 'OGG';
  rate: number;
}

export interface SpeechLimits {
  maxAudioBytes: number;
  maxAudioSeconds: number;
  maxTextChars: number;
  /** Uncached engine runs per user per minute. */
  requestsPerMinute: number;
}

export interface SynthesizeRequest {
  userId: string;
  text: string;
  /** Named by the request; an unknown one is BAD_USER_INPUT. */
  voice?: string | null | undefined;
  /** From the request; checked against 0.5–2. */
  rate?: number | null | undefined;
  format: SpeechFormat;
  /** The caller's preferences, used where the request names nothing. */
  preferred: { voice: string | null; rate: number };
  /** The argument the text came from, for BAD_USER_INPUT. */
  textField: string;
}

export interface VoiceSpeech {
  engine: string;
  defaultVoice: string;
  voices(): Promise<SpeechVoice[]>;
  isVoice(id: string): Promise<boolean>;
  synthesize(request: SynthesizeRequest): Promise<SpeechAudio>;
  /** `prompt`: vocabulary to bias recognition towards, where the engine takes a hint. */
  transcribe(userId: string, input: AudioInput, field: string, prompt?: string): Promise<TranscriptionResult>;
  /** Erasure: the cached speech of everything `userId` had read aloud, and their rate-limit counter. */
  forget(userId: string): Promise<void>;
}

export function checkRate(rate: number, field: string): number {
  if (!Number.isFinite(rate) || rate < MIN_RATE || rate > MAX_RATE) throw badUserInput(`Rate must be between ${MIN_RATE} and ${MAX_RATE}`, field);
  return rate;
}

/** SpeechInputError from a provider becomes BAD_USER_INPUT on the argument at fault. */
function asInputError(error: unknown, fields: { audio?: string; voice?: string; format?: string }): unknown {
  if (!(error instanceof SpeechInputError)) return error;
  const field =
    error.problem === 'UNSUPPORTED_LANGUAGE'
      ? `${fields.audio}.language`
      : error.problem === 'UNSUPPORTED_VOICE'
        ? fields.voice
        : error.problem === 'UNSUPPORTED_FORMAT'
          ? fields.format
          : `${fields.audio}.base64`;
  return badUserInput(error.message, field ?? 'input', { reason: error.problem });
}

export function createVoiceSpeech({
  providers,
  cache,
  limiter,
  limits,
}: {
  providers: SpeechProviders;
  cache: SpeechCache;
  limiter: RateLimiter;
  limits: SpeechLimits;
}): VoiceSpeech {
  const { tts, stt } = providers;
  // Synthesis of one key runs once however many ask at the same moment.
  const inFlight = new Map<string, Promise<SpeechAudio>>();

  const limitKey = (userId: string) => `voice:speech:${userId}`;

  async function spend(userId: string) {
    const result = await limiter.hit(limitKey(userId), limits.requestsPerMinute, 60_000);
    if (!result.allowed) throw rateLimited(result.retryAfterMs / 1000);
  }

  async function isVoice(id: string) {
    return (await tts.voices()).some((v) => v.id === id);
  }

  return {
    engine: providers.engine,
    defaultVoice: tts.defaultVoice,
    voices: () => tts.voices(),
    isVoice,

    async synthesize(request) {
      const text = request.text.trim();
      if (!text) throw badUserInput('There is no text to speak', request.textField);
      if (text.length > limits.maxTextChars) {
        throw badUserInput(`Text is longer than ${limits.maxTextChars} characters`, request.textField, { maxChars: limits.maxTextChars });
      }
      const rate = request.rate != null ? checkRate(request.rate, 'rate') : request.preferred.rate;
      let voice: string;
      if (request.voice) {
        if (!(await isVoice(request.voice))) throw badUserInput(`Unknown voice "${request.voice.slice(0, 100)}": see the voices query`, 'voice');
        voice = request.voice;
      } else {
        // A preference can outlive a change of engine: fall back rather than fail.
        voice = request.preferred.voice && (await isVoice(request.preferred.voice)) ? request.preferred.voice : tts.defaultVoice;
      }
      const formats = await tts.formats();
      if (!formats.includes(request.format)) {
        throw badUserInput(`This speech engine cannot produce ${request.format.toUpperCase()}; supported formats: ${formats.map((f) => f.toUpperCase()).join(', ')}`, 'format', {
          supportedFormats: formats.map((f) => f.toUpperCase()),
        });
      }
      const key = createHash('sha256').update(JSON.stringify([providers.engine, voice, rate, request.format, text])).digest('base64url');
      const cached = await cache.get(key);
      if (cached) {
        await cache.own(key, request.userId);
        return toSpeechAudio(cached);
      }
      const running = inFlight.get(key);
      if (running) {
        const audio = await running;
        await cache.own(key, request.userId);
        return audio;
      }
      const job = (async () => {
        await spend(request.userId);
        const speech = await tts.synthesize({ text, voice, rate, format: request.format }).catch((error: unknown) => {
          throw asInputError(error, { voice: 'voice', format: 'format' });
        });
        const entry = { ...speech, rate };
        await cache.set(key, entry);
        await cache.own(key, request.userId);
        return toSpeechAudio(entry);
      })();
      inFlight.set(key, job);
      try {
        return await job;
      } finally {
        inFlight.delete(key);
      }
    },

    async forget(userId) {
      await cache.forgetOwner(userId);
      await limiter.reset(limitKey(userId));
    },

    async transcribe(userId, input, field, prompt) {
      const { audio, container, language } = decodeAudioInput(input, field, limits.maxAudioBytes);
      await spend(userId);
      try {
        return await stt.transcribe({ audio, container, language, maxDurationMs: limits.maxAudioSeconds * 1000, prompt });
      } catch (error) {
        throw asInputError(error, { audio: field });
      }
    },
  };
}

function toSpeechAudio(speech: { audio: Buffer; mimeType: string; durationMs: number; voice: string; format: SpeechFormat; rate: number }): SpeechAudio {
  return {
    mimeType: speech.mimeType,
    base64: speech.audio.toString('base64'),
    durationMs: speech.durationMs,
    voice: speech.voice,
    format: speech.format.toUpperCase() as SpeechAudio['format'],
    rate: speech.rate,
  };
}

/** An assistant reply as it should sound: Markdown marks, link targets and citation markers removed. */
export function speakableText(markdown: string): string {
  return markdown
    .replace(/```[\s\S]*?```/g, ' ')
    .replace(/!\[([^\]]*)\]\([^)]*\)/g, '$1')
    .replace(/\[([^\]]+)\]\([^)]*\)/g, '$1')
    .replace(/\s*\[\d+(?:,\s*\d+)*\]/g, '')
    .replace(/`([^`]*)`/g, '$1')
    .replace(/^\s{0,3}(#{1,6}|>|[-*+]|\d+\.)\s+/gm, '')
    .replace(/(\*\*|__|\*|_|~~)(?=\S)([^*_~]+?)\1/g, '$2')
    .replace(/[ \t]+/g, ' ')
    .replace(/\n{2,}/g, '\n')
    .trim();
}
