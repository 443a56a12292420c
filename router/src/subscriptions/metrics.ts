import { Counter, Gauge, Histogram, type Registry } from '@voiceassist/metrics';

/** One root field's event counts and latency, labelled once (not per event or per subscription). */
export interface FieldMetrics {
  counts: { in: number; out: number };
  latency: { observe(seconds: number): void };
}

/** The subscription server's metrics: open subscriptions, events in and out, and the latency each event adds. */
export class SubscriptionMetrics {
  readonly open: Gauge<'field'>;
  readonly #fields = new Map<string, FieldMetrics>();
  readonly #addedLatency: Histogram<'field'>;

  constructor(registry: Registry) {
    this.open = new Gauge({ name: 'router_open_subscriptions', help: 'Open subscriptions by root field', labelNames: ['field'] as const, registers: [registry] });
    // Event counts are kept as plain numbers per field and handed to the counters when metrics
    // are read: prom-client hashes the labels on every inc, a cost paid per event otherwise.
    const flushEventCounts = () => {
      for (const [field, { counts }] of this.#fields) {
        if (counts.in) eventsIn.inc({ field }, counts.in);
        if (counts.out) eventsOut.inc({ field }, counts.out);
        counts.in = 0;
        counts.out = 0;
      }
    };
    const eventsIn: Counter<'field'> = new Counter({ name: 'router_subscription_events_in_total', help: 'Events received from subgraphs', labelNames: ['field'] as const, registers: [registry], collect: flushEventCounts });
    const eventsOut: Counter<'field'> = new Counter({ name: 'router_subscription_events_out_total', help: 'Events resolved and queued for clients', labelNames: ['field'] as const, registers: [registry], collect: flushEventCounts });
    this.#addedLatency = new Histogram({
      name: 'router_subscription_event_added_latency_seconds',
      help: 'Time from an upstream event to its resolved result, per event',
      labelNames: ['field'] as const,
      buckets: [0.0001, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    });
  }

  forField(field: string): FieldMetrics {
    let metrics = this.#fields.get(field);
    if (!metrics) {
      metrics = { counts: { in: 0, out: 0 }, latency: this.#addedLatency.labels({ field }) };
      this.#fields.set(field, metrics);
    }
    return metrics;
  }
}
