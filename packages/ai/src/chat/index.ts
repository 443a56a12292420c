import type { AIEnv } from '../env.js';
import { createOpenAIClient, openAIConfigured } from '../openai-client.js';
import type { ChatEnv } from './env.js';
import { createEmbeddedChatProvider } from './embedded.js';
import { createOpenAIChatProvider } from './openai.js';
import type { ChatProvider } from './provider.js';

export * from './provider.js';
export { chatEnvShape, type ChatEnv } from './env.js';
export { createOpenAIChatProvider } from './openai.js';
export { bridgeTerms, planHops, planHopsHeuristically, retrieveMultiHop, type Hop, type MultiHopOptions } from './multi-hop.js';
export { MEMORY_HEADING, memoryMessage, rememberedLines } from './memory-message.js';
export { foldIntoSummary } from './memory.js';
export { citedSentences, supportedByOverlap, verifyCitations, type CitationCheck } from './citation-check.js';
export {
  EMBEDDED_CHAT_MODEL,
  NO_KNOWLEDGE_ANSWER,
  composeExtractiveAnswer,
  contentTerms,
  wholeSentences,
  createEmbeddedChatProvider,
  splitIntoTokens,
  type EmbeddedChatOptions,
} from './embedded.js';

/** The OpenAI-compatible provider when OPENAI_BASE_URL or OPENAI_API_KEY is set, the embedded one otherwise. */
export function createChatProvider(env: AIEnv & ChatEnv): ChatProvider {
  const connection = { baseUrl: env.OPENAI_BASE_URL, apiKey: env.OPENAI_API_KEY, timeoutMs: env.OPENAI_TIMEOUT_MS };
  if (openAIConfigured(connection)) {
    return createOpenAIChatProvider({ client: createOpenAIClient(connection), model: env.OPENAI_CHAT_MODEL });
  }
  return createEmbeddedChatProvider({ tokenDelayMs: env.CHAT_EMBEDDED_TOKEN_DELAY_MS });
}
