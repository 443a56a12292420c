import OpenAI from 'openai';

export interface OpenAIConnection {
  /** Any OpenAI-compatible server: OpenAI, vLLM, Ollama, llama.cpp, the test kit's fake. */
  baseUrl?: string | undefined;
  apiKey?: string | undefined;
  /** Per request; the provider's own retries are off so callers see failures promptly. */
  timeoutMs?: number;
}

/** The one factory for OpenAI SDK clients. */
export function createOpenAIClient({ baseUrl, apiKey, timeoutMs = 60_000 }: OpenAIConnection): OpenAI {
  return new OpenAI({
    ...(baseUrl ? { baseURL: baseUrl } : {}),
    // Local servers often accept any key; the SDK insists on one.
    apiKey: apiKey || 'not-needed',
    timeout: timeoutMs,
    maxRetries: 0,
  });
}

/** True when the env points at an OpenAI-compatible server rather than the embedded providers. */
export function openAIConfigured(connection: OpenAIConnection): boolean {
  return Boolean(connection.baseUrl || connection.apiKey);
}
