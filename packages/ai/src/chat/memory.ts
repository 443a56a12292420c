import { EMBEDDED_CHAT_MODEL, wholeSentences } from './embedded.js';
import { estimateTokens, type ChatMessage, type ChatProvider, type ChatUsage } from './provider.js';

const SUMMARY_PROMPT =
  'Update the running summary of a conversation between a clinician and an assistant. Keep what the clinician said about themself, their patients in general terms, decisions and open questions; drop pleasantries. Reply with the new summary only, as short lines, at most {budget} tokens.';

/**
 * A conversation's running summary with more turns folded in: written by the language model when
 * one is configured; by the embedded provider extractively (the first whole sentence of each user
 * turn, "The user asked: …" or "The user said: …"), its oldest lines dropped past `budgetTokens`.
 */
export async function foldIntoSummary(
  provider: ChatProvider,
  previous: string,
  turns: readonly ChatMessage[],
  budgetTokens: number,
  signal?: AbortSignal,
): Promise<{ summary: string; usage?: ChatUsage }> {
  if (provider.model === EMBEDDED_CHAT_MODEL) {
    const lines = previous.split('\n').filter(Boolean);
    for (const turn of turns) {
      if (turn.role !== 'user') continue;
      const first = wholeSentences(turn.content)[0] ?? turn.content.replace(/\s+/g, ' ').trim().slice(0, 200);
      if (first) lines.push(`${first.endsWith('?') ? 'The user asked' : 'The user said'}: ${first}`);
    }
    let used = lines.reduce((n, l) => n + estimateTokens(l) + 1, 0);
    while (used > budgetTokens && lines.length > 1) used -= estimateTokens(lines.shift()!) + 1;
    return { summary: lines.join('\n') };
  }
  const transcript = turns.map((t) => `${t.role === 'user' ? 'Clinician' : 'Assistant'}: ${t.content}`).join('\n');
  let summary = '';
  let usage: ChatUsage | undefined;
  for await (const chunk of provider.stream(
    [
      { role: 'system', content: SUMMARY_PROMPT.replace('{budget}', String(budgetTokens)) },
      { role: 'user', content: `Summary so far:\n${previous || '(none)'}\n\nNew turns:\n${transcript}` },
    ],
    { signal },
  )) {
    if ('delta' in chunk) summary += chunk.delta;
    else usage = chunk.usage;
  }
  return { summary: summary.trim(), ...(usage ? { usage } : {}) };
}
