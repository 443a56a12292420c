import { badUserInput, notFound } from '@voiceassist/errors';
import { viewerOf, type VoiceServices } from '../context.js';
import type { DictationSessionRow } from '../db/schema.js';
import type { DictationEvent } from '../dictation-events.js';
import { speechChunks, type SpeechChunk } from '../speech-stream.js';
import { speechFormat } from './Mutation.js';
import type { SubscriptionResolvers } from './resolvers-types.js';

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
    subscribe: async (_, args, ctx) => {
      const { userId } = viewerOf(ctx);
      const session = await ctx.voice.dictation.get(userId, args.sessionId);
      if (!session) throw notFound('Dictation session');
      return dictationEvents(ctx.voice, userId, session, Math.max(-1, args.afterChunk ?? -1));
    },
    resolve: (event: DictationEvent) => event,
  },

  speechStream: {
    subscribe: async (_, args, ctx) => {
      const { userId } = viewerOf(ctx);
      // Someone else's message does not exist for this caller (as for Message.speech).
      if ((await ctx.messageOwners.load(args.messageId)) !== userId) throw notFound('Message');
      if (args.voice && !(await ctx.voice.speech.isVoice(args.voice))) throw badUserInput(`Unknown voice "${args.voice.slice(0, 100)}": see the voices query`, 'voice');
      const preferred = await ctx.preferences();
      const format = speechFormat(args.format);
      const tokens = ctx.voice.conversation.replyTokens({ authorization: ctx.authorization, requestId: ctx.requestId, logger: ctx.logger }, args.messageId);
      return speechChunks(args.messageId, tokens, Math.max(-1, args.afterIndex ?? -1), (text) =>
        ctx.voice.speech.synthesize({ userId, text, voice: args.voice, format, preferred, textField: 'content' }),
      );
    },
    resolve: (chunk: SpeechChunk) => chunk,
  },
} satisfies SubscriptionResolvers;
