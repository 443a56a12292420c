import OpenAI from 'openai';
import { ChatProviderError, type ChatChunk, type ChatMessage, type ChatProvider, type ChatStreamOptions } from './provider.js';

function providerError(error: unknown): ChatProviderError {
  if (error instanceof ChatProviderError) return error;
  if (error instanceof OpenAI.APIError) {
    const status = typeof error.status === 'number' ? error.status : undefined;
    return new ChatProviderError(status ? `Chat provider answered ${status}` : 'Chat provider unreachable', status, { cause: error });
  }
  return new ChatProviderError('Chat provider stream failed', undefined, { cause: error });
}

/**
 * Streaming chat completions from any OpenAI-compatible server (OpenAI, vLLM, Ollama,
 * llama.cpp): text deltas as they arrive and the server's own usage figures at the end.
 */
export function createOpenAIChatProvider({ client, model }: { client: OpenAI; model: string }): ChatProvider {
  return {
    model,
    async *stream(messages: readonly ChatMessage[], options: ChatStreamOptions = {}): AsyncGenerator<ChatChunk> {
      const { signal, continuation } = options;
      // A trailing assistant message is the prefix the model continues (assistant prefill, as
      // llama.cpp, Ollama, vLLM and others read it).
      const sent = continuation ? [...messages, { role: 'assistant' as const, content: continuation }] : messages;
      let stream;
      try {
        stream = await client.chat.completions.create(
          { model, messages: sent.map((m) => ({ role: m.role, content: m.content })), stream: true, stream_options: { include_usage: true } },
          { signal },
        );
      } catch (error) {
        if (signal?.aborted) return;
        throw providerError(error);
      }
      try {
        for await (const chunk of stream) {
          const delta = chunk.choices[0]?.delta?.content;
          if (delta) yield { delta };
          if (chunk.usage) {
            yield { usage: { promptTokens: chunk.usage.prompt_tokens, completionTokens: chunk.usage.completion_tokens } };
          }
        }
      } catch (error) {
        if (signal?.aborted) return;
        throw providerError(error);
      }
    },
  };
}
