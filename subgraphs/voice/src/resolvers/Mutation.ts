import type { SpeechFormat } from '@voiceassist/ai';
import type { AudioInput } from '../audio-input.js';
import { viewerOf, type VoiceContext } from '../context.js';
import type { PreferencesInput } from '../preferences.js';
import type { NoteKind } from '../soap-note.js';
import type { VocabularyTermInput } from '../vocabulary/store.js';

export type AudioFormat = 'WAV' | 'MP3' | 'OGG';
export const speechFormat = (format: AudioFormat | null | undefined): SpeechFormat => (format ?? 'WAV').toLowerCase() as SpeechFormat;

export const Mutation = {
  transcribe: (_: unknown, { audio }: { audio: AudioInput }, ctx: VoiceContext) => ctx.voice.hear(viewerOf(ctx).userId, audio, 'audio'),

  addVocabularyTerms: (_: unknown, { terms }: { terms: VocabularyTermInput[] }, ctx: VoiceContext) => ctx.voice.vocabulary.add(terms),

  async synthesize(_: unknown, args: { text: string; voice?: string | null; format?: AudioFormat | null; rate?: number | null }, ctx: VoiceContext) {
    const { userId } = viewerOf(ctx);
    return ctx.voice.speech.synthesize({
      userId,
      text: args.text,
      voice: args.voice,
      rate: args.rate,
      format: speechFormat(args.format),
      preferred: await ctx.preferences(),
      textField: 'text',
    });
  },

  updateVoicePreferences: (_: unknown, { input }: { input: PreferencesInput }, ctx: VoiceContext) =>
    ctx.voice.preferences.update(viewerOf(ctx).userId, input),

  startDictation: (_: unknown, { kind }: { kind?: NoteKind | null }, ctx: VoiceContext) => ctx.voice.dictation.start(viewerOf(ctx).userId, kind ?? 'SOAP'),

  appendDictation: (_: unknown, args: { sessionId: string; audio?: AudioInput | null; text?: string | null }, ctx: VoiceContext) =>
    ctx.voice.dictation.append(viewerOf(ctx).userId, args.sessionId, { audio: args.audio, text: args.text }),

  finishDictation: (_: unknown, { sessionId }: { sessionId: string }, ctx: VoiceContext) => ctx.voice.dictation.finish(viewerOf(ctx).userId, sessionId),
};
