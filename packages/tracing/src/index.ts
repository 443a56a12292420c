import { SpanKind, SpanStatusCode, context, propagation, trace, type Attributes, type Context, type Span, type Tracer } from '@opentelemetry/api';
import { AsyncLocalStorageContextManager } from '@opentelemetry/context-async-hooks';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter as OTLPJsonTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { OTLPTraceExporter as OTLPProtobufTraceExporter } from '@opentelemetry/exporter-trace-otlp-proto';
import { Resource } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type ReadableSpan,
  type Sampler,
  type Span as SdkSpan,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import type { TracingEnv } from '@voiceassist/env';

export { SpanKind, type Attributes, type Span };
/** A trace position to continue (an incoming request's, a subscription's). */
export type TraceContext = Context;

/** The attribute naming the service a span belongs to, when several services share one process. */
export const SERVICE_NAME_ATTRIBUTE = 'service.name';

/** Instrumentation scopes of libraries that run inside one of our services, and that service. */
const LIBRARY_SCOPES: Record<string, string> = { 'apollo/gateway-js': 'router' };
/** Scopes of our services' own tracers (see serviceTracer). */
const SERVICE_SCOPE_PREFIX = 'voiceassist.';

export interface Tracing {
  enabled: boolean;
  /** Sends the spans still buffered (tests, benchmarks); resolves at once when tracing is off. */
  flush(): Promise<void>;
  /** Flushes and stops exporting; the process's tracer is a no-op again afterwards. */
  shutdown(): Promise<void>;
}

const OFF: Tracing = { enabled: false, flush: async () => {}, shutdown: async () => {} };
let current: Tracing = OFF;

/** Whether spans are being recorded in this process: helpers skip all work when not. */
export function tracingEnabled(): boolean {
  return current.enabled;
}

/** Where spans go: OTEL_EXPORTER_OTLP_TRACES_ENDPOINT as given, or `/v1/traces` under OTEL_EXPORTER_OTLP_ENDPOINT (as the OTLP spec says). */
export function tracesEndpoint(env: TracingEnv): string | undefined {
  if (env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) return env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT;
  if (!env.OTEL_EXPORTER_OTLP_ENDPOINT) return undefined;
  return `${env.OTEL_EXPORTER_OTLP_ENDPOINT.replace(/\/+$/, '')}/v1/traces`;
}

function samplerFrom(env: TracingEnv): Sampler {
  const ratio = env.OTEL_TRACES_SAMPLER_ARG ?? 1;
  switch (env.OTEL_TRACES_SAMPLER) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return new TraceIdRatioBasedSampler(ratio);
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: new TraceIdRatioBasedSampler(ratio) });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}

/**
 * Names each span's service as an attribute, so spans of several services in one process
 * (`pnpm start`, tests) still say whose they are: the tracer's own service, the service a
 * library runs in, or else the parent span's (shared packages: database, Redis, AI). Exception
 * events keep their type only: messages may quote a variable's value.
 */
class ServiceNameProcessor implements SpanProcessor {
  onStart(span: SdkSpan, parentContext: Context): void {
    const scope = span.instrumentationLibrary.name;
    const own = scope.startsWith(SERVICE_SCOPE_PREFIX) ? scope.slice(SERVICE_SCOPE_PREFIX.length) : LIBRARY_SCOPES[scope];
    const parent = trace.getSpan(parentContext) as Partial<ReadableSpan> | undefined;
    const inherited = parent?.attributes?.[SERVICE_NAME_ATTRIBUTE];
    const service = own ?? (typeof inherited === 'string' ? inherited : undefined);
    if (service) span.setAttribute(SERVICE_NAME_ATTRIBUTE, service);
  }
  onEnd(span: ReadableSpan): void {
    for (const event of span.events) {
      if (event.name !== 'exception' || !event.attributes) continue;
      delete event.attributes['exception.message'];
      delete event.attributes['exception.stacktrace'];
    }
    // Apollo Gateway sets the error's message as the status message.
    if (span.status.message) (span.status as { message?: string }).message = undefined;
  }
  forceFlush(): Promise<void> {
    return Promise.resolve();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

/**
 * Starts tracing for this process from the OTEL_* variables, once: off (no SDK, the API's no-op
 * tracer, nothing exported) unless an OTLP endpoint is set. `serviceName` is the resource's
 * `service.name` unless OTEL_SERVICE_NAME says otherwise; a process of several services passes
 * its own name and each span carries its service as an attribute.
 */
export function startTracing(env: TracingEnv, serviceName: string): Tracing {
  if (current.enabled) return current;
  const url = tracesEndpoint(env);
  if (!url || env.OTEL_SDK_DISABLED || env.OTEL_TRACES_SAMPLER === 'always_off') return OFF;
  const exporter = env.OTEL_EXPORTER_OTLP_PROTOCOL === 'http/json' ? new OTLPJsonTraceExporter({ url }) : new OTLPProtobufTraceExporter({ url });
  const batch = new BatchSpanProcessor(exporter);
  const provider = new BasicTracerProvider({
    resource: new Resource({ 'service.name': env.OTEL_SERVICE_NAME ?? serviceName }),
    sampler: samplerFrom(env),
    spanProcessors: [new ServiceNameProcessor(), batch],
  });
  provider.register({ contextManager: new AsyncLocalStorageContextManager(), propagator: new W3CTraceContextPropagator() });
  const started: Tracing = {
    enabled: true,
    flush: () => provider.forceFlush(),
    async shutdown() {
      if (current === started) current = OFF;
      await provider.shutdown();
      trace.disable();
      context.disable();
      propagation.disable();
    },
  };
  current = started;
  return started;
}

/**
 * An instrumentation scope; its tracer is looked up when a span starts, so a module may keep one
 * from load time and still reach whichever provider is registered then (tests start and stop
 * tracing within one process).
 */
export interface TracerScope {
  readonly scope: string;
}

/** The scope of one of our services: its spans name that service (see ServiceNameProcessor). */
export function serviceTracer(service: string): TracerScope {
  return { scope: `${SERVICE_SCOPE_PREFIX}${service}` };
}

/** The scope of a shared package (database, Redis, AI): its spans take the service they run in. */
export function libraryTracer(name: string): TracerScope {
  return { scope: `@voiceassist/${name}` };
}

const tracerOf = (scope: TracerScope): Tracer => trace.getTracer(scope.scope);

/** A span that does nothing, for callers of withSpan while tracing is off. */
const NO_SPAN = trace.wrapSpanContext({ traceId: '00000000000000000000000000000000', spanId: '0000000000000000', traceFlags: 0 });

export interface SpanOptions {
  kind?: SpanKind;
  attributes?: Attributes;
  /** The parent (an incoming request's extracted context); the active context otherwise. */
  parent?: Context;
  /** Other spans this one relates to without being their child (a subscription, for an event of another trace). */
  links?: Context[];
}

/** The SDK's options for a span: kind, attributes and the links that name a span. */
function sdkOptions(options: SpanOptions) {
  const links = options.links?.flatMap((linked) => {
    const spanContext = trace.getSpanContext(linked);
    return spanContext ? [{ context: spanContext }] : [];
  });
  return { kind: options.kind ?? SpanKind.INTERNAL, ...(options.attributes ? { attributes: options.attributes } : {}), ...(links?.length ? { links } : {}) };
}

/** Records a failure on a span by its type only: messages may carry user input. */
export function recordFailure(span: Span, error: unknown): void {
  const type = error instanceof Error ? error.name : typeof error;
  span.addEvent('exception', { 'exception.type': type });
  span.setStatus({ code: SpanStatusCode.ERROR });
}

/**
 * Runs `fn` in a new active span that ends when it settles (a failure marks it). While tracing is
 * off, `fn` runs directly with a no-op span: no context switch, no allocation beyond the call.
 */
export function withSpan<T>(tracer: TracerScope, name: string, options: SpanOptions, fn: (span: Span) => T): T {
  if (!current.enabled) return fn(NO_SPAN);
  const parent = options.parent ?? context.active();
  const span = tracerOf(tracer).startSpan(name, sdkOptions(options), parent);
  return context.with(trace.setSpan(parent, span), () => {
    let result: T;
    try {
      result = fn(span);
    } catch (error) {
      recordFailure(span, error);
      span.end();
      throw error;
    }
    if (result instanceof Promise) {
      return result.then(
        (value: unknown) => {
          span.end();
          return value;
        },
        (error: unknown) => {
          recordFailure(span, error);
          span.end();
          throw error;
        },
      ) as T;
    }
    span.end();
    return result;
  });
}

/** Starts a span the caller ends (streams, requests answered later); undefined while tracing is off. */
export function startSpan(tracer: TracerScope, name: string, options: SpanOptions = {}): { span: Span; context: Context } | undefined {
  if (!current.enabled) return undefined;
  const parent = options.parent ?? context.active();
  const span = tracerOf(tracer).startSpan(name, sdkOptions(options), parent);
  return { span, context: trace.setSpan(parent, span) };
}

/** Runs `fn` with `ctx` active (a span from startSpan); directly when there is none. */
export function runInContext<T>(ctx: Context | undefined, fn: () => T): T {
  return ctx ? context.with(ctx, fn) : fn();
}

/** Adds the active trace's W3C `traceparent` (and `tracestate`) to outgoing headers or a message's extensions. */
export function injectTraceContext(carrier: Record<string, unknown>): void {
  if (current.enabled) propagation.inject(context.active(), carrier);
}

/** The W3C `traceparent` of a trace position (a span from startSpan), to store or send with a message; none while tracing is off. */
export function traceparentOf(ctx: Context): string | undefined {
  if (!current.enabled) return undefined;
  const carrier: Record<string, string> = {};
  propagation.inject(ctx, carrier);
  return carrier.traceparent;
}

/** The context an incoming request or message continues (its `traceparent`), the active one otherwise. */
export function extractTraceContext(carrier: Record<string, unknown> | undefined): Context {
  if (!current.enabled || !carrier) return context.active();
  return propagation.extract(context.active(), carrier, {
    get: (c, key) => {
      const value = c[key];
      return typeof value === 'string' || Array.isArray(value) ? (value as string | string[]) : undefined;
    },
    keys: (c) => Object.keys(c),
  });
}

/** The active span while tracing is on. */
export function activeSpan(): Span | undefined {
  return current.enabled ? trace.getActiveSpan() : undefined;
}

/** The active context, to carry into work that outlives the request (a background generation). */
export function activeContext(): Context {
  return context.active();
}
