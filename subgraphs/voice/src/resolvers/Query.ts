import { viewerOf } from '../context.js';
import type { QueryResolvers } from './resolvers-types.js';

export const Query = {
  voices: (_, _args, ctx) => ctx.voice.speech.voices(),
  voicePreferences: (_, _args, ctx) => ctx.preferences(),
  dictationSession: (_, { id }, ctx) => ctx.voice.dictation.get(viewerOf(ctx).userId, id),
  vocabulary: (_, _args, ctx) => ctx.voice.vocabulary.terms(),
  clinicalNote: (_, { id }, ctx) => ctx.voice.dictation.note(viewerOf(ctx).userId, id),
} satisfies QueryResolvers;
