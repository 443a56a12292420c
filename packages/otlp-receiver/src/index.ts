import { createServer, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createRequire } from 'node:module';

/** One span as an OTLP collector receives it, whichever encoding carried it. */
export interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId: string | undefined;
  name: string;
  /** The instrumentation scope's name. */
  scope: string;
  resource: Record<string, unknown>;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; attributes: Record<string, unknown> }>;
  /** Spans of other traces (or of this one) this span is linked to. */
  links: Array<{ traceId: string; spanId: string }>;
  statusCode: number;
}

export interface OtlpReceiver {
  /** For OTEL_EXPORTER_OTLP_ENDPOINT (spans arrive at `/v1/traces` under it). */
  endpoint: string;
  spans: ReceivedSpan[];
  /** The content type of every export request received. */
  contentTypes: string[];
  /** Waits until a span matching `predicate` has arrived, and returns it. */
  waitForSpan(predicate: (span: ReceivedSpan) => boolean, timeoutMs?: number): Promise<ReceivedSpan>;
  close(): Promise<void>;
}

interface OtlpValue {
  stringValue?: string;
  boolValue?: boolean;
  intValue?: number | string | { toNumber(): number };
  doubleValue?: number;
  arrayValue?: { values?: OtlpValue[] };
}
interface OtlpKeyValue {
  key: string;
  value?: OtlpValue;
}
interface OtlpSpan {
  traceId: string | Uint8Array;
  spanId: string | Uint8Array;
  parentSpanId?: string | Uint8Array | null;
  name: string;
  attributes?: OtlpKeyValue[];
  events?: Array<{ name: string; attributes?: OtlpKeyValue[] }>;
  links?: Array<{ traceId: string | Uint8Array; spanId: string | Uint8Array }>;
  status?: { code?: number };
}
interface OtlpTraceRequest {
  resourceSpans?: Array<{ resource?: { attributes?: OtlpKeyValue[] }; scopeSpans?: Array<{ scope?: { name?: string }; spans?: OtlpSpan[] }> }>;
}

// The SDK's own compiled OTLP protobuf definitions (a dependency of its exporters): no .proto files or codegen here.
const require = createRequire(import.meta.url);
const protoRoot = require('@opentelemetry/otlp-transformer/build/src/generated/root.js') as {
  opentelemetry: { proto: { collector: { trace: { v1: { ExportTraceServiceRequest: { decode(bytes: Uint8Array): OtlpTraceRequest } } } } } };
};

function valueOf(value: OtlpValue | undefined): unknown {
  if (!value) return undefined;
  if (value.stringValue !== undefined) return value.stringValue;
  if (value.boolValue !== undefined) return value.boolValue;
  if (value.doubleValue !== undefined) return value.doubleValue;
  if (value.intValue !== undefined) return typeof value.intValue === 'object' ? value.intValue.toNumber() : Number(value.intValue);
  if (value.arrayValue) return (value.arrayValue.values ?? []).map(valueOf);
  return undefined;
}

const attributesOf = (list: OtlpKeyValue[] | undefined) => Object.fromEntries((list ?? []).map((kv) => [kv.key, valueOf(kv.value)]));
// JSON carries ids as hex, protobuf as bytes; a root span's parent is absent, empty or null.
const idOf = (id: string | Uint8Array | null | undefined) => (!id || id.length === 0 ? undefined : typeof id === 'string' ? id : Buffer.from(id).toString('hex'));

function spansOf(request: OtlpTraceRequest): ReceivedSpan[] {
  return (request.resourceSpans ?? []).flatMap((resourceSpans) => {
    const resource = attributesOf(resourceSpans.resource?.attributes);
    return (resourceSpans.scopeSpans ?? []).flatMap((scopeSpans) =>
      (scopeSpans.spans ?? []).map((span) => ({
        traceId: idOf(span.traceId)!,
        spanId: idOf(span.spanId)!,
        parentSpanId: idOf(span.parentSpanId),
        name: span.name,
        scope: scopeSpans.scope?.name ?? '',
        resource,
        attributes: attributesOf(span.attributes),
        events: (span.events ?? []).map((event) => ({ name: event.name, attributes: attributesOf(event.attributes) })),
        links: (span.links ?? []).map((link) => ({ traceId: idOf(link.traceId)!, spanId: idOf(link.spanId)! })),
        statusCode: span.status?.code ?? 0,
      })),
    );
  });
}

async function bodyOf(req: IncomingMessage): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of req) chunks.push(chunk as Buffer);
  return Buffer.concat(chunks);
}

/**
 * An OTLP/HTTP trace collector in the test's process: takes `http/json` and `http/protobuf`
 * exports at `/v1/traces` and keeps every span, decoded, for the test to inspect.
 */
export async function startOtlpReceiver(): Promise<OtlpReceiver> {
  const spans: ReceivedSpan[] = [];
  const contentTypes: string[] = [];
  // Waiters are settled as spans arrive, so a test waits no longer than the export takes.
  const waiters = new Set<(received: readonly ReceivedSpan[]) => void>();
  const server = createServer((req, res) => {
    void (async () => {
      const body = await bodyOf(req);
      const contentType = (req.headers['content-type'] ?? '').split(';')[0]!.trim();
      if (req.method !== 'POST' || req.url !== '/v1/traces') {
        res.writeHead(404).end();
        return;
      }
      contentTypes.push(contentType);
      try {
        const request = contentType === 'application/x-protobuf' ? protoRoot.opentelemetry.proto.collector.trace.v1.ExportTraceServiceRequest.decode(body) : (JSON.parse(body.toString('utf8')) as OtlpTraceRequest);
        const received = spansOf(request);
        spans.push(...received);
        for (const waiter of waiters) waiter(received);
      } catch {
        res.writeHead(400).end();
        return;
      }
      if (contentType === 'application/x-protobuf') res.writeHead(200, { 'content-type': 'application/x-protobuf' }).end();
      else res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    })();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    spans,
    contentTypes,
    waitForSpan(predicate, timeoutMs = 10_000) {
      const already = spans.find(predicate);
      if (already) return Promise.resolve(already);
      return new Promise<ReceivedSpan>((resolve, reject) => {
        const timer = setTimeout(() => {
          waiters.delete(waiter);
          const received = spans.map((s) => `${String(s.attributes['service.name'] ?? s.scope)}: ${s.name} (${s.traceId.slice(0, 8)})`);
          reject(new Error(`No such span within ${timeoutMs} ms; received:\n  ${received.join('\n  ')}`));
        }, timeoutMs);
        const waiter = (received: readonly ReceivedSpan[]) => {
          const found = received.find(predicate);
          if (!found) return;
          clearTimeout(timer);
          waiters.delete(waiter);
          resolve(found);
        };
        waiters.add(waiter);
      });
    },
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
