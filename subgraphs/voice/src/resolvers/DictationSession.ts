import type { VoiceContext } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';
import { phiOf } from '@voiceassist/phi-detection';
import type { DictationProgress } from '../dictation.js';
import type { DictationSessionResolvers } from './resolvers-types.js';

// One replay of the chunks per session object, however many of its fields a query selects.
const replays = new WeakMap<DictationSessionRow, Promise<DictationProgress | null>>();
function progress(session: DictationSessionRow, ctx: VoiceContext): Promise<DictationProgress | null> {
  let replay = replays.get(session);
  if (!replay) replays.set(session, (replay = session.status === 'ACTIVE' ? ctx.voice.dictation.progress(session) : Promise.resolve(null)));
  return replay;
}
const transcriptOf = async (session: DictationSessionRow, ctx: VoiceContext) => (await progress(session, ctx))?.transcript ?? '';

export const DictationSession = {
  transcript: (session, _args, ctx) => transcriptOf(session, ctx),
  rawTranscript: async (session, _args, ctx) => (await progress(session, ctx))?.rawTranscript ?? '',
  section: async (session, _args, ctx) => (await progress(session, ctx))?.state.current ?? null,
  // Computed on read, like Message.phiFindings: nothing more about the dictation is stored.
  phiFindings: async (session, _args, ctx) => phiOf(session, await transcriptOf(session, ctx)).findings,
  redactedTranscript: async (session, _args, ctx) => phiOf(session, await transcriptOf(session, ctx)).redacted,
  updatedAt: (session) => session.lastActivityAt,
  expiresAt: (session, _args, ctx) =>
    new Date(session.lastActivityAt.getTime() + ctx.voice.dictation.idleTimeoutMs),
  note: (session, _args, ctx) =>
    session.status === 'FINISHED' ? ctx.voice.dictation.noteOfSession(session.id) : null,
} satisfies DictationSessionResolvers;
