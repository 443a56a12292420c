// Providers behind one interface per capability: chat (conversation), embeddings (knowledge),
// speech (voice). Each has an OpenAI-compatible implementation and an embedded default.
export { createOpenAIClient, openAIConfigured, type OpenAIConnection } from './openai-client.js';
export { aiEnvShape, type AIEnv } from './env.js';
export { ProviderError } from './provider-error.js';
export * from './chat/index.js';
export * from './embeddings/index.js';
export * from './speech/index.js';
export { traceChatProvider, traceEmbeddingProvider, traceSpeechProviders } from './tracing.js';
