import { estimateTokens, type ChatMessage } from './provider.js';

// The memory message's format, written into prompts here and read back by the embedded provider
// (which the summary folding in memory.ts calls in turn, so the two live apart).

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
