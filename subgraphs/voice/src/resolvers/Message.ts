import { notFound } from '@voiceassist/errors';
import { viewerOf, type VoiceContext } from '../context.js';
import { speakableText } from '../speech.js';
import { speechFormat } from './Mutation.js';

interface MessageRepresentation {
  id: string;
  /** Provided by the router through `@requires(fields: "content")`. */
  content?: string;
}

export const Message = {
  __resolveReference: (reference: MessageRepresentation) => reference,

  async speech(message: MessageRepresentation, args: { voice?: string | null; format?: 'WAV' | 'MP3' | 'OGG' | null }, ctx: VoiceContext) {
    const { userId } = viewerOf(ctx);
    // Ownership first: someone else's message does not exist for this caller, cached or not.
    const owner = await ctx.messageOwners.load(message.id);
    if (owner !== userId) throw notFound('Message');
    return ctx.voice.speech.synthesize({
      userId,
      text: speakableText(message.content ?? ''),
      voice: args.voice,
      format: speechFormat(args.format),
      preferred: await ctx.preferences(),
      textField: 'content',
    });
  },
};
