import { afterEach, describe, expect, it } from 'vitest';
import { loadEnv, tracingEnvShape, z } from '@voiceassist/env';
import { startOtlpReceiver, type OtlpReceiver } from '@voiceassist/otlp-receiver';
import { extractTraceContext, injectTraceContext, libraryTracer, serviceTracer, startTracing, tracesEndpoint, withSpan, type Tracing } from './index.js';

const tracingEnv = (vars: Record<string, string>) => loadEnv(z.object(tracingEnvShape), vars);

describe('tracing', () => {
  let receiver: OtlpReceiver | undefined;
  let tracing: Tracing | undefined;
  afterEach(async () => {
    await tracing?.shutdown();
    await receiver?.close();
  });

  it('is off without an endpoint: no span recorded, no traceparent sent', async () => {
    tracing = startTracing(tracingEnv({ OTEL_SERVICE_NAME: 'alone' }), 'test');
    expect(tracing.enabled).toBe(false);
    const recorded = withSpan(serviceTracer('router'), 'work', {}, (span) => span.isRecording());
    expect(recorded).toBe(false);
    const headers: Record<string, unknown> = {};
    injectTraceContext(headers);
    expect(headers).toEqual({});
  });

  it('reads the endpoint and the protocol from the OTEL_* variables', () => {
    expect(tracesEndpoint(tracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }))).toBe('http://collector:4318/v1/traces');
    expect(tracesEndpoint(tracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://a:4318', OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://b:9/traces' }))).toBe('http://b:9/traces');
    expect(() => tracingEnv({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' })).toThrow(/OTEL_EXPORTER_OTLP_PROTOCOL/);
    expect(() => tracingEnv({ OTEL_TRACES_SAMPLER: 'sometimes' })).toThrow(/OTEL_TRACES_SAMPLER/);
  });

  for (const [protocol, contentType] of [
    ['http/json', 'application/json'],
    ['http/protobuf', 'application/x-protobuf'],
  ] as const) {
    it(`exports spans over ${protocol}, each naming its service, children continuing a traceparent`, async () => {
      receiver = await startOtlpReceiver();
      tracing = startTracing(tracingEnv({ OTEL_EXPORTER_OTLP_ENDPOINT: receiver.endpoint, OTEL_EXPORTER_OTLP_PROTOCOL: protocol, OTEL_SERVICE_NAME: 'voiceassist-test' }), 'ignored');
      expect(tracing.enabled).toBe(true);
      const traceparent = await withSpan(serviceTracer('router'), 'outer', {}, async () => {
        const headers: Record<string, unknown> = {};
        injectTraceContext(headers);
        return headers.traceparent as string;
      });
      expect(traceparent).toMatch(/^00-[0-9a-f]{32}-[0-9a-f]{16}-01$/);
      // As a subgraph would: continue the trace from the header, then a shared package's span inside it.
      expect(() =>
        withSpan(serviceTracer('knowledge'), 'inner', { parent: extractTraceContext({ traceparent }) }, () =>
          withSpan(libraryTracer('database'), 'db.query', {}, () => {
            throw new TypeError('a message that must not be exported');
          }),
        ),
      ).toThrow(TypeError);
      await tracing.flush();

      const outer = await receiver.waitForSpan((s) => s.name === 'outer');
      const inner = await receiver.waitForSpan((s) => s.name === 'inner');
      const query = await receiver.waitForSpan((s) => s.name === 'db.query');
      expect(receiver.contentTypes).toContain(contentType);
      expect(outer.resource['service.name']).toBe('voiceassist-test');
      expect([outer.attributes['service.name'], inner.attributes['service.name'], query.attributes['service.name']]).toEqual(['router', 'knowledge', 'knowledge']);
      expect(new Set([outer.traceId, inner.traceId, query.traceId]).size).toBe(1);
      expect(inner.parentSpanId).toBe(outer.spanId);
      expect(query.parentSpanId).toBe(inner.spanId);
      expect(query.statusCode).toBe(2);
      expect(query.events).toEqual([{ name: 'exception', attributes: { 'exception.type': 'TypeError' } }]);
    });
  }
});
