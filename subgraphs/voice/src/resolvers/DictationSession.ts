import type { VoiceContext } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';

export const DictationSession = {
  transcript: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    session.status === 'ACTIVE' ? ctx.voice.dictation.transcript(session.id) : '',
  updatedAt: (session: DictationSessionRow) => session.lastActivityAt,
  expiresAt: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    new Date(session.lastActivityAt.getTime() + ctx.voice.dictation.idleTimeoutMs),
  note: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    session.status === 'FINISHED' ? ctx.voice.dictation.noteOfSession(session.id) : null,
};
