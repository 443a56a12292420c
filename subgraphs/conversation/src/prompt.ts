import type { ChatMessage, ChatPassage } from '@voiceassist/ai';

const SYSTEM = [
  'You are VoiceAssist, an assistant for clinicians.',
  'Answer accurately and concisely; say so plainly when you do not know.',
  'You support, and never replace, clinical judgement.',
].join(' ');

/** The knowledge passages, numbered as the answer should cite them ([1] is the first). */
export function passagesBlock(passages: readonly ChatPassage[]): string {
  return passages.map((p, i) => `[${i + 1}]${p.title ? ` ${p.title}:` : ''} ${p.text}`).join('\n\n');
}

/**
 * The prompt of one reply: instructions (with the retrieved passages, when any), what is
 * remembered beyond the history window (see memory.ts), the earlier turns of the conversation,
 * then the question.
 */
export function buildPrompt(history: readonly ChatMessage[], question: string, passages: readonly ChatPassage[], memory?: ChatMessage): ChatMessage[] {
  const system = passages.length
    ? `${SYSTEM}\nUse the knowledge base passages below. Cite them as [n] after the sentences that use them. If they do not answer the question, say so.\n\n${passagesBlock(passages)}`
    : SYSTEM;
  return [{ role: 'system', content: system }, ...(memory ? [memory] : []), ...history, { role: 'user', content: question }];
}
