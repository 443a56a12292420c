import { notFound } from '@voiceassist/errors';
import { viewerOf } from '../context.js';
import { speakableText } from '../speech.js';
import { speechFormat } from './Mutation.js';
import type { MessageResolvers } from './resolvers-types.js';

export const Message = {
  __resolveReference: (reference) => reference,

  async speech(message, args, ctx) {
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
} satisfies MessageResolvers;
