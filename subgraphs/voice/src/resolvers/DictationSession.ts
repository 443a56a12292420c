import type { VoiceContext } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';
import type { DictationProgress } from '../dictation.js';

// One replay of the chunks per session object, however many of its fields a query selects.
const replays = new WeakMap<DictationSessionRow, Promise<DictationProgress | null>>();
function progress(session: DictationSessionRow, ctx: VoiceContext): Promise<DictationProgress | null> {
  let replay = replays.get(session);
  if (!replay) replays.set(session, (replay = session.status === 'ACTIVE' ? ctx.voice.dictation.progress(session) : Promise.resolve(null)));
  return replay;
}

export const DictationSession = {
  transcript: async (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => (await progress(session, ctx))?.transcript ?? '',
  rawTranscript: async (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => (await progress(session, ctx))?.rawTranscript ?? '',
  section: async (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) => (await progress(session, ctx))?.state.current ?? null,
  updatedAt: (session: DictationSessionRow) => session.lastActivityAt,
  expiresAt: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    new Date(session.lastActivityAt.getTime() + ctx.voice.dictation.idleTimeoutMs),
  note: (session: DictationSessionRow, _args: unknown, ctx: VoiceContext) =>
    session.status === 'FINISHED' ? ctx.voice.dictation.noteOfSession(session.id) : null,
};
