import type OpenAI from 'openai';
import { APIConnectionError, APIError, toFile } from 'openai';
import { providerUnavailable } from '@voiceassist/errors';
import { containerDurationMs, repairWavSizes, SPEECH_MIME_TYPES, type AudioContainer, type SpeechFormat } from './audio.js';
import {
  SpeechInputError,
  type SpeechToText,
  type SpeechVoice,
  type SynthesizedSpeech,
  type TextToSpeech,
  type TranscriptionResult,
} from './types.js';

/**
 * Speech through any OpenAI-compatible server (`/audio/speech`, `/audio/transcriptions`):
 * OpenAI, or a local one such as speaches or LocalAI. Models and voices come from env.
 */
export interface OpenAISpeechOptions {
  client: OpenAI;
  ttsModel: string;
  sttModel: string;
  /** The server's voice names; the first is the default unless `defaultVoice` says otherwise. */
  voices: string[];
  defaultVoice?: string | undefined;
}

/** OGG means Ogg Opus, OpenAI's `opus` format. */
const RESPONSE_FORMAT: Record<SpeechFormat, 'wav' | 'mp3' | 'opus'> = { wav: 'wav', mp3: 'mp3', ogg: 'opus' };

const UPLOAD_NAME: Record<AudioContainer, { name: string; type: string }> = {
  wav: { name: 'audio.wav', type: 'audio/wav' },
  mp3: { name: 'audio.mp3', type: 'audio/mpeg' },
  ogg: { name: 'audio.ogg', type: 'audio/ogg' },
  webm: { name: 'audio.webm', type: 'audio/webm' },
};

/** Whisper's verbose_json names languages in English ("english"); callers get ISO 639-1 where we know it. */
const LANGUAGE_CODES: Record<string, string> = {
  english: 'en', spanish: 'es', french: 'fr', german: 'de', italian: 'it', portuguese: 'pt', dutch: 'nl',
  russian: 'ru', chinese: 'zh', japanese: 'ja', korean: 'ko', arabic: 'ar', hindi: 'hi', polish: 'pl', turkish: 'tr',
};

/** Failures of the remote service: callers see PROVIDER_UNAVAILABLE, never the server's text. */
function serviceError(what: string, error: unknown): unknown {
  if (error instanceof APIConnectionError) return providerUnavailable(`The ${what} service is unreachable`);
  if (error instanceof APIError) return providerUnavailable(`The ${what} service failed (HTTP ${error.status ?? 'error'})`);
  return error;
}

/** Rough speaking time when a container does not state its length: ~150 words a minute. */
function estimateDurationMs(text: string, speed: number): number {
  const words = text.trim().split(/\s+/).filter(Boolean).length;
  return Math.round(((words / 150) * 60_000) / speed);
}

export function createOpenAISpeech(options: OpenAISpeechOptions): { tts: TextToSpeech; stt: SpeechToText } {
  const { client } = options;
  const voiceList: SpeechVoice[] = options.voices.map((id) => ({ id, name: id.charAt(0).toUpperCase() + id.slice(1), language: 'multilingual' }));
  const defaultVoice = options.defaultVoice ?? options.voices[0] ?? 'alloy';

  const tts: TextToSpeech = {
    engine: 'openai',
    defaultVoice,
    voices: async () => voiceList,
    formats: async () => ['wav', 'mp3', 'ogg'],
    async synthesize({ text, voice, rate, format, signal }): Promise<SynthesizedSpeech> {
      // OpenAI accepts 0.25–4.
      const speed = Math.min(4, Math.max(0.25, rate));
      let audio: Buffer;
      try {
        const response = await client.audio.speech.create(
          { model: options.ttsModel, voice, input: text, response_format: RESPONSE_FORMAT[format], speed },
          signal ? { signal } : undefined,
        );
        audio = Buffer.from(await response.arrayBuffer());
      } catch (error) {
        throw serviceError('text-to-speech', error);
      }
      if (format === 'wav') audio = repairWavSizes(audio);
      const durationMs = containerDurationMs(audio, format) ?? estimateDurationMs(text, speed);
      return { audio, format, mimeType: SPEECH_MIME_TYPES[format], durationMs, voice };
    },
  };

  const stt: SpeechToText = {
    engine: 'openai',
    async transcribe({ audio, container, language, maxDurationMs, prompt, signal }): Promise<TranscriptionResult> {
      const known = containerDurationMs(audio, container);
      if (maxDurationMs !== undefined && known !== undefined && known > maxDurationMs) {
        throw new SpeechInputError('TOO_LONG', `The audio is longer than ${Math.round(maxDurationMs / 1000)} seconds`);
      }
      const upload = UPLOAD_NAME[container];
      let result: OpenAI.Audio.TranscriptionVerbose;
      try {
        result = await client.audio.transcriptions.create(
          {
            file: await toFile(audio, upload.name, { type: upload.type }),
            model: options.sttModel,
            response_format: 'verbose_json',
            ...(language ? { language: language.split(/[-_]/)[0]!.toLowerCase() } : {}),
            ...(prompt ? { prompt } : {}),
          },
          signal ? { signal } : undefined,
        );
      } catch (error) {
        if (error instanceof APIError && (error.status === 400 || error.status === 415 || error.status === 422)) {
          throw new SpeechInputError('INVALID_AUDIO', 'The speech service could not read this audio');
        }
        throw serviceError('speech-to-text', error);
      }
      const durationMs = Math.round((result.duration ?? 0) * 1000) || known || 0;
      if (maxDurationMs !== undefined && durationMs > maxDurationMs) {
        throw new SpeechInputError('TOO_LONG', `The audio is longer than ${Math.round(maxDurationMs / 1000)} seconds`);
      }
      const logprobs = (result.segments ?? []).map((s) => s.avg_logprob).filter((v): v is number => typeof v === 'number');
      const confidence = logprobs.length ? Math.round(Math.exp(logprobs.reduce((a, b) => a + b, 0) / logprobs.length) * 1000) / 1000 : null;
      const reported = result.language?.toLowerCase();
      return {
        text: (result.text ?? '').trim(),
        language: reported ? (LANGUAGE_CODES[reported] ?? reported) : (language ?? null),
        confidence,
        durationMs,
      };
    },
  };

  return { tts, stt };
}
