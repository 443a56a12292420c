import { EMBEDDED_CHAT_MODEL, wholeSentences } from './embedded.js';
import { estimateTokens, type ChatMessage, type ChatProvider, type ChatUsage } from './provider.js';

/** Starts the system message that carries what the assistant remembers (the embedded provider reads it back). */
export const MEMORY_HEADING = 'What you remember about this user and conversation:';

/**
 * The memory message of a prompt: the user's facts first (they matter longest), then the running
 * summary, cut to `budgetTokens` (the summary's oldest lines go first). None when nothing is remembered.
 */
export function memoryMessage(facts: readonly string[], summary: string, budgetTokens: number): ChatMessage | undefined {
  const lines = [...facts.map((fact) => `- ${fact}`)];
  const summaryLines = summary.split('\n').filter(Boolean);
  let used = estimateTokens(MEMORY_HEADING) + lines.reduce((n, l) => n + estimateTokens(l) + 1, 0);
  while (used > budgetTokens && lines.length > 0) used -= estimateTokens(lines.pop()!) + 1;
  const kept: string[] = [];
  for (const line of summaryLines.toReversed()) {
    const cost = estimateTokens(line) + 1;
    if (used + cost > budgetTokens) break;
    kept.unshift(line);
    used += cost;
  }
  if (lines.length === 0 && kept.length === 0) return undefined;
  const parts = [MEMORY_HEADING, ...lines, ...(kept.length ? ['Summary of the earlier conversation:', ...kept] : [])];
  return { role: 'system', content: parts.join('\n') };
}

/** The remembered lines of a prompt's memory message (facts and summary), for the embedded provider. */
export function rememberedLines(messages: readonly ChatMessage[]): string[] {
  const memory = messages.find((m) => m.role === 'system' && m.content.startsWith(MEMORY_HEADING));
  if (!memory) return [];
  return memory.content
    .split('\n')
    .slice(1)
    .map((line) => line.replace(/^- /, '').trim())
    .filter((line) => line && !line.endsWith(':'));
}

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
