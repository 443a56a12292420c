import { viewerOf, type VoiceContext } from '../context.js';
import type { Heard } from '../hearing.js';
import { speechFormat, type AudioFormat } from './Mutation.js';
import type { VoiceClarificationResolvers, MutationResolvers } from './resolvers-types.js';
import type { ClarificationReason, Clarification } from './mappers.js';

const CLARIFICATIONS: Record<ClarificationReason, string> = {
  NOTHING_HEARD: "I didn't catch that. Could you say it again?",
  LOW_CONFIDENCE: "I didn't catch that clearly. Could you repeat the question, a little more slowly?",
};

export interface AskByVoicePayload {
  transcription: Heard;
  userMessage: { id: string } | null;
  assistantMessage: { id: string } | null;
  clarification: Clarification | null;
}

/** Why a transcript should not go to the language model, or null when it can. */
export function repairReason(heard: Pick<Heard, 'text' | 'confidence'>, minConfidence: number): ClarificationReason | null {
  if (!/[\p{L}\p{N}]/u.test(heard.text)) return 'NOTHING_HEARD';
  if (heard.confidence !== null && heard.confidence < minConfidence) return 'LOW_CONFIDENCE';
  return null;
}

export const spokenTurnMutations = {
  async askByVoice(_, args, ctx): Promise<AskByVoicePayload> {
    const { userId } = viewerOf(ctx);
    const transcription = await ctx.voice.hear(userId, args.audio, 'audio');
    const reason = repairReason(transcription, ctx.voice.repairBelowConfidence);
    // Noise is not sent to the language model: the turn asks the speaker to repeat instead.
    if (reason) {
      ctx.logger.info({ reason, confidence: transcription.confidence }, 'spoken turn needs repair');
      return { transcription, userMessage: null, assistantMessage: null, clarification: { reason, text: CLARIFICATIONS[reason] } };
    }
    const sent = await ctx.voice.conversation.sendMessage(
      { authorization: ctx.authorization, requestId: ctx.requestId, logger: ctx.logger },
      { conversationId: args.conversationId, content: transcription.text, useKnowledge: args.useKnowledge ?? true },
    );
    return { transcription, userMessage: { id: sent.userMessageId }, assistantMessage: { id: sent.assistantMessageId }, clarification: null };
  },
} satisfies MutationResolvers;

export const VoiceClarification = {
  async speech(clarification: Clarification, args: { voice?: string | null; format?: AudioFormat | null }, ctx: VoiceContext) {
    const { userId } = viewerOf(ctx);
    return ctx.voice.speech.synthesize({ userId, text: clarification.text, voice: args.voice, format: speechFormat(args.format), preferred: await ctx.preferences(), textField: 'text' });
  },
} satisfies VoiceClarificationResolvers;
