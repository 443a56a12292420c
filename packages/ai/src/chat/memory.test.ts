import { describe, expect, it } from 'vitest';
import { NO_KNOWLEDGE_ANSWER, composeExtractiveAnswer, createEmbeddedChatProvider } from './embedded.js';
import { MEMORY_HEADING, memoryMessage, rememberedLines } from './memory-message.js';
import { foldIntoSummary } from './memory.js';

describe('conversation memory in prompts', () => {
  it('carries the facts first, then the newest summary lines that fit the token budget', () => {
    const summary = Array.from({ length: 40 }, (_, i) => `The user asked: question number ${i} about murmurs?`).join('\n');
    const message = memoryMessage(['The user’s specialty is paediatric cardiology.'], summary, 120)!;
    expect(message.role).toBe('system');
    expect(message.content.startsWith(MEMORY_HEADING)).toBe(true);
    expect(message.content).toContain('paediatric cardiology');
    expect(message.content).toContain('question number 39');
    expect(message.content).not.toContain('question number 0 ');
    expect(Math.ceil(message.content.length / 4)).toBeLessThanOrEqual(140);
    expect(memoryMessage([], '', 100)).toBeUndefined();
    expect(rememberedLines([message])[0]).toBe('The user’s specialty is paediatric cardiology.');
  });

  it('lets the embedded provider answer a question about the user from memory, in the second person', () => {
    const remembered = ['The user’s specialty is paediatric cardiology.', 'The user prefers doses in mg/kg.'];
    expect(composeExtractiveAnswer('Which specialty do I work in?', [], remembered)).toBe('From what you have told me: Your specialty is paediatric cardiology.');
    expect(composeExtractiveAnswer('What causes asthma?', [], remembered)).toBe(NO_KNOWLEDGE_ANSWER);
  });

  it('folds user turns into the summary extractively with the embedded provider, dropping the oldest past the budget', async () => {
    const provider = createEmbeddedChatProvider({ tokenDelayMs: 0 });
    const first = await foldIntoSummary(provider, '', [
      { role: 'user', content: 'I see children with heart murmurs. Most are innocent' },
      { role: 'assistant', content: 'From the knowledge base: …' },
      { role: 'user', content: 'When should a murmur be referred?' },
    ], 200);
    expect(first.summary).toBe('The user said: I see children with heart murmurs.\nThe user asked: When should a murmur be referred?');
    const later = await foldIntoSummary(provider, first.summary, [{ role: 'user', content: `A much longer remark ${'about echocardiography '.repeat(20)}.` }], 60);
    expect(later.summary.split('\n')).toHaveLength(1);
    expect(later.summary).toContain('echocardiography');
  });
});
