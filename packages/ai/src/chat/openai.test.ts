import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startFakeOpenAIServer, type FakeOpenAIServer } from '@voiceassist/testkit/openai-server';
import { FAKE_CHAT_REPLY, fakeChatStats } from '@voiceassist/testkit/openai-server/chat';
import { createOpenAIClient } from '../openai-client.js';
import { createChatProvider } from './index.js';
import { createOpenAIChatProvider } from './openai.js';
import { ChatProviderError, type ChatChunk, type ChatProvider } from './provider.js';

// The openai SDK against the test kit's local OpenAI-compatible server: real SSE chunks.

let fake: FakeOpenAIServer;
let provider: ChatProvider;

beforeAll(async () => {
  fake = await startFakeOpenAIServer();
  provider = createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: fake.baseUrl, apiKey: 'sk-test', timeoutMs: 5_000 }), model: 'fake-chat-1' });
});

afterAll(async () => {
  await fake?.close();
});

beforeEach(() => {
  for (const key of Object.keys(fake.behaviour)) delete fake.behaviour[key];
});

async function collect(chunks: AsyncIterable<ChatChunk>) {
  const deltas: string[] = [];
  const usages = [];
  for await (const chunk of chunks) {
    if ('delta' in chunk) deltas.push(chunk.delta);
    else usages.push(chunk.usage);
  }
  return { deltas, usages };
}

const QUESTION = [{ role: 'system' as const, content: 'Be brief.' }, { role: 'user' as const, content: 'Hello?' }];

describe('OpenAI-compatible chat provider', () => {
  it('streams content deltas and the server’s usage, asking for usage in the stream', async () => {
    fake.behaviour.chatUsage = { prompt_tokens: 17, completion_tokens: 9 };
    const { deltas, usages } = await collect(provider.stream(QUESTION));
    expect(deltas.join('')).toBe(FAKE_CHAT_REPLY);
    expect(deltas.length).toBe(FAKE_CHAT_REPLY.split(' ').length);
    expect(usages).toEqual([{ promptTokens: 17, completionTokens: 9 }]);
    expect(fake.requests.at(-1)!.json()).toMatchObject({ model: 'fake-chat-1', stream: true, stream_options: { include_usage: true }, messages: QUESTION });
    expect(fake.requests.at(-1)!.headers.authorization).toBe('Bearer sk-test');
  });

  it('continues a reply from its start, sent as a trailing assistant message, and yields only the rest', async () => {
    const continuation = FAKE_CHAT_REPLY.split(' ').slice(0, 3).join(' ');
    const { deltas } = await collect(provider.stream(QUESTION, { continuation }));
    expect(continuation + deltas.join('')).toBe(FAKE_CHAT_REPLY);
    expect(fake.requests.at(-1)!.json<{ messages: unknown[] }>().messages).toEqual([...QUESTION, { role: 'assistant', content: continuation }]);
  });

  it('turns an error status into a ChatProviderError carrying the status', async () => {
    fake.behaviour.chatFailStatus = 503;
    const error = await collect(provider.stream(QUESTION)).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect((error as ChatProviderError).status).toBe(503);
  });

  it('turns a stream broken midway into a ChatProviderError after the tokens that arrived', async () => {
    fake.behaviour.chatFailAfterChunks = 2;
    const deltas: string[] = [];
    const error = await (async () => {
      for await (const chunk of provider.stream(QUESTION)) if ('delta' in chunk) deltas.push(chunk.delta);
    })().catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ChatProviderError);
    expect(deltas.join('')).toBe(FAKE_CHAT_REPLY.split(' ').slice(0, 2).join(' '));
  });

  it('ends quietly when aborted, and the server sees the request go', async () => {
    fake.behaviour.chatDelayMs = 50;
    const stats = fakeChatStats(fake);
    const abortedBefore = stats.aborted;
    const controller = new AbortController();
    const deltas: string[] = [];
    for await (const chunk of provider.stream(QUESTION, { signal: controller.signal })) {
      if ('delta' in chunk) deltas.push(chunk.delta);
      if (deltas.length === 2) controller.abort();
    }
    expect(deltas).toHaveLength(2);
    await expect.poll(() => stats.aborted, { timeout: 5_000 }).toBe(abortedBefore + 1);
  });

  it('fails with a ChatProviderError when nothing listens at the URL', async () => {
    const nowhere = createOpenAIChatProvider({ client: createOpenAIClient({ baseUrl: 'http://127.0.0.1:9/v1', timeoutMs: 2_000 }), model: 'm' });
    await expect(collect(nowhere.stream(QUESTION))).rejects.toBeInstanceOf(ChatProviderError);
  });
});

describe('createChatProvider', () => {
  const base = { OPENAI_TIMEOUT_MS: 5_000, OPENAI_CHAT_MODEL: 'from-env', CHAT_EMBEDDED_TOKEN_DELAY_MS: 0 };

  it('uses the OpenAI-compatible server when one is configured, with the model from env', async () => {
    const configured = createChatProvider({ ...base, OPENAI_BASE_URL: fake.baseUrl, OPENAI_API_KEY: undefined });
    expect(configured.model).toBe('from-env');
    expect((await collect(configured.stream(QUESTION))).deltas.join('')).toBe(FAKE_CHAT_REPLY);
  });

  it('falls back to the embedded provider with neither a URL nor a key', () => {
    expect(createChatProvider({ ...base, OPENAI_BASE_URL: undefined, OPENAI_API_KEY: undefined }).model).toBe('embedded-extractive');
  });
});
