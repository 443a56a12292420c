import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { createLogger, type Logger } from '@voiceassist/logging';
import { testEnv } from '@voiceassist/testkit';
import { startSupergraph } from '@voiceassist/test-supergraph';
import { waitUntil } from '@voiceassist/testkit/wait';
import { startOtlpReceiver, type OtlpReceiver, type ReceivedSpan } from '@voiceassist/otlp-receiver';
import { startTracing, type Tracing } from '@voiceassist/tracing';
import { Harness, textOf, wholeReply, type Account } from './harness.js';

// One sendMessage through the in-process supergraph, traced end to end: the router, the
// conversation subgraph, its knowledge search (and the knowledge subgraph answering it) and the
// LLM call all in one trace, exported over OTLP/HTTP to a collector in this process.
const GUIDELINE = 'Kawasaki disease is treated with intravenous immunoglobulin and high-dose aspirin in the acute phase.';

/** Every string a span carries where user text could hide: name, attributes, events, resource. */
function textsOf(span: ReceivedSpan): string[] {
  const values = (record: Record<string, unknown>) => Object.values(record).flatMap((v) => (Array.isArray(v) ? v : [v])).map(String);
  return [span.name, ...values(span.attributes), ...values(span.resource), ...span.events.flatMap((e) => [e.name, ...values(e.attributes)])];
}

describe('tracing a sendMessage', () => {
  let receiver: OtlpReceiver;
  let h: Harness;
  let user: Account;
  let tracing: Tracing | undefined;
  const lines: Array<Record<string, unknown>> = [];
  const logger = (service: string): Logger =>
    createLogger({
      service,
      level: 'info',
      destination: new Writable({
        write(chunk: Buffer, _encoding, done) {
          for (const line of chunk.toString('utf8').split('\n').filter(Boolean)) lines.push(JSON.parse(line) as Record<string, unknown>);
          done();
        },
      }),
    });

  beforeAll(async () => {
    receiver = await startOtlpReceiver();
    h = new Harness(
      await startSupergraph({
        subgraphs: ['identity', 'knowledge', 'conversation'],
        env: { identity: { AUTH_THROTTLE_PER_MINUTE: '10000' }, conversation: { CHAT_EMBEDDED_TOKEN_DELAY_MS: '1' } },
        loggers: { conversation: logger('conversation'), knowledge: logger('knowledge') },
      }),
    );
    user = await h.signUp('clinician');
    const { ingestDocument } = await h.data<{ ingestDocument: { id: string } }>(
      `mutation($input: IngestDocumentInput!) { ingestDocument(input: $input) { id } }`,
      { input: { title: 'Kawasaki disease guideline', mimeType: 'text/plain', text: GUIDELINE } },
      user.accessToken,
    );
    const deadline = Date.now() + 90_000;
    let status = 'PENDING';
    while (status !== 'READY' && Date.now() < deadline) {
      await sleep(200);
      ({ status } = (await h.data<{ document: { status: string } }>(`query($id: ID!) { document(id: $id) { status } }`, { id: ingestDocument.id }, user.accessToken)).document);
    }
    expect(status).toBe('READY');
  }, 180_000);

  afterAll(async () => {
    await tracing?.shutdown();
    await h?.supergraph.stop();
    await receiver?.close();
  });

  /** Reads `read` until `done` holds of what it returns (spans arrive in batches), then returns that. */
  async function waitFor<T>(read: () => T, done: (value: T) => boolean): Promise<T> {
    await waitUntil(() => done(read()));
    return read();
  }

  async function ask(question: string) {
    const conversationId = await h.createConversation(user);
    const sent = await h.send(user, conversationId, question, true);
    const client = h.client(user);
    const events = await wholeReply(client, sent.assistantMessage.id);
    await client.dispose();
    return { reply: textOf(events), messageId: sent.assistantMessage.id };
  }

  it('produces no span and no trace id while no OTLP endpoint is set', async () => {
    tracing = startTracing(loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }), 'voiceassist');
    expect(tracing.enabled).toBe(false);
    const { messageId } = await ask(`How is Kawasaki disease treated? ${randomUUID()}`);
    // The generator logs the end after the client has the whole reply: wait for the line.
    const isFinished = (line: Record<string, unknown>) => line.msg === 'reply finished' && line.messageId === messageId;
    await waitUntil(() => lines.some(isFinished));
    const finished = lines.find(isFinished);
    expect(finished).toBeDefined();
    expect(lines.filter((line) => 'traceId' in line)).toEqual([]);
    await sleep(200);
    expect(receiver.contentTypes).toEqual([]);
  }, 60_000);

  it('puts the router, conversation, knowledge, the LLM and each token delivery in one trace, with no user text in any span', async () => {
    tracing = startTracing(
      loadEnv(z.object(tracingEnvShape), { OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: 'http/json' }),
      'voiceassist',
    );
    expect(tracing.enabled).toBe(true);
    const marker = `zebra${randomUUID().slice(0, 8)}`;
    const question = `How is Kawasaki disease treated in ${marker} patients?`;
    const { reply, messageId } = await ask(question);
    expect(reply).toContain('immunoglobulin');
    await tracing.flush();

    const routed = await receiver.waitForSpan((s) => s.attributes['service.name'] === 'router' && s.name === 'mutation Send');
    const inTrace = (predicate: (s: ReceivedSpan) => boolean) => receiver.waitForSpan((s) => s.traceId === routed.traceId && predicate(s));
    const generation = await inTrace((s) => s.name === 'reply.generate');
    // The reply's work belongs to the request's trace, under the resolver (and the subgraph operation) that started it.
    const resolver = await inTrace((s) => s.spanId === generation.parentSpanId);
    expect(resolver).toMatchObject({ name: 'Mutation.sendMessage', attributes: { 'service.name': 'conversation', 'graphql.field.name': 'sendMessage' } });
    const subgraphOperation = await inTrace((s) => s.spanId === resolver.parentSpanId);
    const fetchedBy = await inTrace((s) => s.spanId === subgraphOperation.parentSpanId);
    const searchCall = await inTrace((s) => s.name === 'knowledge.search' && s.attributes['service.name'] === 'conversation');
    const searchServed = await inTrace((s) => s.attributes['service.name'] === 'knowledge' && s.name === 'query ConversationKnowledgeSearch');
    const llm = await inTrace((s) => s.name === 'gen_ai.chat');

    expect(routed.parentSpanId).toBeUndefined();
    expect(subgraphOperation.attributes).toMatchObject({ 'service.name': 'conversation', 'graphql.operation.type': 'mutation' });
    expect(fetchedBy.attributes['service.name']).toBe('router');
    expect(generation.attributes['service.name']).toBe('conversation');
    expect(searchServed.parentSpanId).toBe(searchCall.spanId);
    // Knowledge's resolver of the search, under its operation.
    expect((await inTrace((s) => s.name === 'Query.search' && s.attributes['service.name'] === 'knowledge')).parentSpanId).toBe(searchServed.spanId);
    expect(llm.parentSpanId).toBe(generation.spanId);
    expect(llm.attributes).toMatchObject({ 'service.name': 'conversation', 'gen_ai.request.model': expect.any(String) });
    expect(llm.attributes['gen_ai.usage.output_tokens']).toBeGreaterThan(0);
    expect(llm.attributes['gen_ai.usage.input_tokens']).toBeGreaterThan(0);
    expect(routed.resource['service.name']).toBe('voiceassist');
    // The conversation's own statements, by operation and table only.
    const statement = await inTrace((s) => s.attributes['db.system'] === 'postgresql' && s.attributes['service.name'] === 'conversation');
    expect(statement.name).toMatch(/^(select|insert|update|delete|with) /);
    if (testEnv.REDIS_URL) expect(await inTrace((s) => s.attributes['db.system'] === 'redis')).toBeDefined();

    // Each token's delivery belongs to the sendMessage trace too: logged in a span under the
    // generation, sent by conversation and resolved by the router as children of that span, each
    // event linked to the subscription that carried it (a trace of its own, started by the client).
    const subscription = await receiver.waitForSpan((s) => s.attributes['service.name'] === 'router' && s.name === 'subscription messageStream');
    // The subgraph's start of the stream (its resolver) continues the router's subscribe message.
    const started = await receiver.waitForSpan((s) => s.name === 'Subscription.messageStream' && s.traceId === subscription.traceId);
    expect(started).toMatchObject({ parentSpanId: subscription.spanId, attributes: { 'service.name': 'conversation' } });
    const tokens = await waitFor(() => receiver.spans.filter((s) => s.traceId === routed.traceId && s.name === 'reply.token'), (found) => found.length > 1);
    expect(tokens.every((token) => token.parentSpanId === generation.spanId && token.attributes['service.name'] === 'conversation')).toBe(true);
    const tokenIds = new Set(tokens.map((token) => token.spanId));
    const sentEvents = await waitFor(
      () => receiver.spans.filter((s) => s.name === 'subscription.event' && s.attributes['service.name'] === 'conversation' && s.traceId === routed.traceId),
      (found) => found.length >= tokens.length,
    );
    expect(sentEvents.every((sent) => tokenIds.has(sent.parentSpanId ?? '') && sent.links.some((link) => link.spanId === subscription.spanId))).toBe(true);
    const sentIds = new Set(sentEvents.map((sent) => sent.spanId));
    const routerEvents = await waitFor(
      () => receiver.spans.filter((s) => s.name === 'subscription.event' && s.attributes['service.name'] === 'router' && s.traceId === routed.traceId),
      (found) => found.length >= sentEvents.length,
    );
    expect(routerEvents.every((event) => sentIds.has(event.parentSpanId ?? '') && event.links.some((link) => link.spanId === subscription.spanId))).toBe(true);
    // The subscription's own trace holds no event of this reply: they all joined the sendMessage trace.
    expect(receiver.spans.filter((s) => s.traceId === subscription.traceId && s.name === 'subscription.event')).toEqual([]);

    // Every span received names its service; none carries the question, the reply or the document.
    const needles = [marker, question, reply, GUIDELINE, 'Kawasaki', 'immunoglobulin'];
    expect(receiver.spans.filter((s) => !s.attributes['service.name']).map((s) => `${s.scope} ${s.name}`)).toEqual([]);
    const leaks = receiver.spans.flatMap((s) => textsOf(s).filter((text) => needles.some((needle) => text.includes(needle))).map((text) => `${s.name}: ${text}`));
    expect(leaks).toEqual([]);

    // Log lines of the traced request name its trace.
    // The generator logs the end after the client has the whole reply: wait for the line.
    const isFinished = (line: Record<string, unknown>) => line.msg === 'reply finished' && line.messageId === messageId;
    await waitUntil(() => lines.some(isFinished));
    const finished = lines.find(isFinished);
    expect(finished?.traceId).toBe(routed.traceId);
  }, 60_000);
});
