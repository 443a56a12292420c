import type { SpeechFormat } from '@voiceassist/ai';
import { viewerOf, type VoiceContext } from '../context.js';
import type { MutationResolvers } from './resolvers-types.js';

export type AudioFormat = 'WAV' | 'MP3' | 'OGG';
export const speechFormat = (format: AudioFormat | null | undefined): SpeechFormat => (format ?? 'WAV').toLowerCase() as SpeechFormat;

export const Mutation = {
  transcribe: (_, { audio }, ctx) => ctx.voice.hear(viewerOf(ctx).userId, audio, 'audio'),

  addVocabularyTerms: (_, { terms }, ctx) => ctx.voice.vocabulary.add(terms),

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

  updateVoicePreferences: (_, { input }, ctx) =>
    ctx.voice.preferences.update(viewerOf(ctx).userId, input),

  startDictation: (_, { kind }, ctx) => ctx.voice.dictation.start(viewerOf(ctx).userId, kind ?? 'SOAP'),

  appendDictation: (_, args, ctx) =>
    ctx.voice.dictation.append(viewerOf(ctx).userId, args.sessionId, { audio: args.audio, text: args.text }),

  finishDictation: (_, { sessionId }, ctx) => ctx.voice.dictation.finish(viewerOf(ctx).userId, sessionId),
} satisfies MutationResolvers;
