import { setTimeout as sleep } from 'node:timers/promises';
import type { ServerResponse } from 'node:http';
import { registerFakeOpenAIRoute, sendOpenAIError, type FakeOpenAIServer } from './index.js';

/**
 * POST /v1/chat/completions of the fake OpenAI server: real SSE chunks (role, content pieces,
 * finish_reason, a usage chunk when `stream_options.include_usage` asks), or one JSON completion
 * without `stream`. Knobs, read per request from `server.behaviour`:
 * - `chatReply` (string): the reply text; default {@link FAKE_CHAT_REPLY}.
 * - `chatReplyFor` ((messages) => string | undefined): the reply text per request (e.g. by its
 *   system prompt), ahead of `chatReply` when it returns one.
 * - `chatDelayMs` (number): pause before each content chunk (a slow stream).
 * - `chatFailStatus` (number): answer with this HTTP error status instead of a completion.
 * - `chatFailAfterChunks` (number): drop the connection after that many content chunks.
 * - `chatStallAfterChunks` (number): stop sending after that many content chunks, connection open.
 * - `chatUsage` ({ prompt_tokens, completion_tokens }): usage to report; by default estimated.
 * A trailing assistant message is a prefix to continue (assistant prefill): when the reply text
 * starts with it, only the rest is sent, as a model continuing it would.
 */
export const FAKE_CHAT_REPLY = 'Here is a streamed answer from the fake model.';

export interface FakeChatStats {
  /** Chat completion requests received. */
  requests: number;
  /** Streams sent to the end ([DONE]). */
  completed: number;
  /** Streams the client closed before the end (cancellation, timeouts). */
  aborted: number;
}

const stats = new WeakMap<FakeOpenAIServer, FakeChatStats>();

/** What the chat route has seen on this server. */
export function fakeChatStats(server: FakeOpenAIServer): FakeChatStats {
  let current = stats.get(server);
  if (!current) stats.set(server, (current = { requests: 0, completed: 0, aborted: 0 }));
  return current;
}

interface ChatRequestBody {
  model?: string;
  messages?: Array<{ role: string; content: string }>;
  stream?: boolean;
  stream_options?: { include_usage?: boolean };
}

const numberKnob = (value: unknown): number | undefined => (typeof value === 'number' && Number.isFinite(value) ? value : undefined);

function writeChunk(res: ServerResponse, chunk: unknown) {
  res.write(`data: ${JSON.stringify(chunk)}\n\n`);
}

registerFakeOpenAIRoute('POST /v1/chat/completions', async (request, res, server) => {
  const counters = fakeChatStats(server);
  counters.requests += 1;
  const behaviour = server.behaviour;
  const body = request.json<ChatRequestBody>();
  const failStatus = numberKnob(behaviour.chatFailStatus);
  if (failStatus) {
    sendOpenAIError(res, failStatus, `Fake failure with status ${failStatus}`);
    return;
  }
  const model = body.model ?? 'fake-chat';
  const replyFor = typeof behaviour.chatReplyFor === 'function' ? (behaviour.chatReplyFor as (messages: ChatRequestBody['messages']) => unknown)(body.messages) : undefined;
  const fullReply = typeof replyFor === 'string' ? replyFor : typeof behaviour.chatReply === 'string' ? behaviour.chatReply : FAKE_CHAT_REPLY;
  const prefill = body.messages?.at(-1)?.role === 'assistant' ? String(body.messages.at(-1)!.content ?? '') : '';
  const reply = prefill && fullReply.startsWith(prefill) ? fullReply.slice(prefill.length) : fullReply;
  const pieces = reply.match(/\s*\S+/g) ?? [];
  const promptChars = (body.messages ?? []).reduce((sum, m) => sum + String(m.content ?? '').length, 0);
  const usage = (behaviour.chatUsage as { prompt_tokens: number; completion_tokens: number } | undefined) ?? {
    prompt_tokens: Math.ceil(promptChars / 4),
    completion_tokens: pieces.length,
  };
  const id = `chatcmpl-fake-${counters.requests}`;
  const created = Math.floor(Date.now() / 1000);

  if (!body.stream) {
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end(JSON.stringify({
      id,
      object: 'chat.completion',
      created,
      model,
      choices: [{ index: 0, message: { role: 'assistant', content: reply }, finish_reason: 'stop' }],
      usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens },
    }));
    counters.completed += 1;
    return;
  }

  let closed = false;
  let finished = false;
  res.on('close', () => {
    closed = true;
    if (!finished) counters.aborted += 1;
  });
  res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache', connection: 'keep-alive' });
  const base = { id, object: 'chat.completion.chunk', created, model };
  writeChunk(res, { ...base, choices: [{ index: 0, delta: { role: 'assistant', content: '' }, finish_reason: null }] });
  const delayMs = numberKnob(behaviour.chatDelayMs) ?? 0;
  const failAfter = numberKnob(behaviour.chatFailAfterChunks);
  const stallAfter = numberKnob(behaviour.chatStallAfterChunks);
  for (const [i, piece] of pieces.entries()) {
    if (failAfter !== undefined && i >= failAfter) {
      // What was written reaches the client first, then the connection drops.
      await new Promise<void>((resolve) => res.write('', () => resolve()));
      await sleep(20);
      res.destroy();
      return;
    }
    if (stallAfter !== undefined && i >= stallAfter) return; // open until the client gives up
    if (delayMs > 0) await sleep(delayMs);
    if (closed) return;
    writeChunk(res, { ...base, choices: [{ index: 0, delta: { content: piece }, finish_reason: null }] });
  }
  writeChunk(res, { ...base, choices: [{ index: 0, delta: {}, finish_reason: 'stop' }] });
  if (body.stream_options?.include_usage) {
    writeChunk(res, { ...base, choices: [], usage: { ...usage, total_tokens: usage.prompt_tokens + usage.completion_tokens } });
  }
  res.write('data: [DONE]\n\n');
  finished = true;
  counters.completed += 1;
  res.end();
});
