import { notFound } from '@voiceassist/errors';
import { viewerOf, type VoiceContext, type VoiceServices } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';
import type { DictationEvent } from '../dictation-events.js';

const ended = (session: DictationSessionRow, noteId: string | null): DictationEvent => ({
  sessionId: session.id,
  chunkIndex: null,
  text: '',
  commands: [],
  section: null,
  transcript: '',
  status: session.status,
  noteId,
});

/**
 * A dictation's events: the chunks after `afterChunk` already stored (replayed), then each new
 * one as it is stored, then the end (FINISHED or EXPIRED), after which the stream completes.
 */
async function* dictationEvents(voice: VoiceServices, userId: string, first: DictationSessionRow, afterChunk: number): AsyncGenerator<DictationEvent> {
  // Followed before reading what is stored, so nothing falls between the two.
  const live = voice.dictationEvents.follow(first.id);
  try {
    const session = (await voice.dictation.get(userId, first.id)) ?? first;
    if (session.status !== 'ACTIVE') {
      yield ended(session, session.status === 'FINISHED' ? ((await voice.dictation.noteOfSession(session.id))?.id ?? null) : null);
      return;
    }
    const stored = await voice.dictation.progress(session);
    let last = afterChunk;
    for (const result of stored.results) {
      if (result.seq <= afterChunk) continue;
      last = result.seq;
      yield { sessionId: session.id, chunkIndex: result.seq, text: result.text, commands: result.commands, section: stored.state.current, transcript: stored.transcript, status: 'ACTIVE', noteId: null };
    }
    for await (const event of live) {
      if (event.chunkIndex !== null && event.chunkIndex <= last) continue;
      yield event;
      if (event.status !== 'ACTIVE') return;
    }
  } finally {
    await live.return?.();
  }
}

export const Subscription = {
  dictationEvents: {
    // Checks run before the stream starts, so a refusal arrives as an error.
    subscribe: async (_: unknown, args: { sessionId: string; afterChunk?: number | null }, ctx: VoiceContext) => {
      const { userId } = viewerOf(ctx);
      const session = await ctx.voice.dictation.get(userId, args.sessionId);
      if (!session) throw notFound('Dictation session');
      return dictationEvents(ctx.voice, userId, session, Math.max(-1, args.afterChunk ?? -1));
    },
    resolve: (event: DictationEvent) => event,
  },
};
