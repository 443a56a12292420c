import { viewerOf, type VoiceContext } from '../context.js';

export const Query = {
  voices: (_: unknown, _args: unknown, ctx: VoiceContext) => ctx.voice.speech.voices(),
  voicePreferences: (_: unknown, _args: unknown, ctx: VoiceContext) => ctx.preferences(),
  dictationSession: (_: unknown, { id }: { id: string }, ctx: VoiceContext) => ctx.voice.dictation.get(viewerOf(ctx).userId, id),
  vocabulary: (_: unknown, _args: unknown, ctx: VoiceContext) => ctx.voice.vocabulary.terms(),
  clinicalNote: (_: unknown, { id }: { id: string }, ctx: VoiceContext) => ctx.voice.dictation.note(viewerOf(ctx).userId, id),
};
