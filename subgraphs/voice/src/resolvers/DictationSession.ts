import type { VoiceContext } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';
import { detectPhi, redact } from '@voiceassist/phi-detection';

const transcriptOf = (session: DictationSessionRow, ctx: VoiceContext) =>
  session.status === 'ACTIVE' ? ctx.voice.dictation.transcript(session.id) : Promise.resolve('');

export const DictationSession = {
  transcript: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => transcriptOf(session, ctx),
  // Computed on read, like Message.phiFindings: nothing more about the dictation is stored.
  phiFindings: async (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => detectPhi(await transcriptOf(session, ctx)),
  redactedTranscript: async (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => {
    const transcript = await transcriptOf(session, ctx);
    return redact(transcript, detectPhi(transcript));
  },
  updatedAt: (session: DictationSessionRow) => session.lastActivityAt,
  expiresAt: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    new Date(session.lastActivityAt.getTime() + ctx.voice.dictation.idleTimeoutMs),
  note: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    session.status === 'FINISHED' ? ctx.voice.dictation.noteOfSession(session.id) : null,
};
