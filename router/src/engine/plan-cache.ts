import { Counter, type Registry } from '@voiceassist/metrics';

/**
 * Least recently used entries up to `capacity`, counting hits and misses: a Map keeps insertion
 * order, so a hit moves its entry to the end and the first key is the least recently used.
 */
export class PlanCache<V> {
  private readonly entries = new Map<string, V>();
  private readonly lookups: Counter<'result'>;

  constructor(
    private readonly capacity: number,
    registry: Registry,
  ) {
    const name = 'router_plan_cache_lookups_total';
    this.lookups =
      (registry.getSingleMetric(name) as Counter<'result'> | undefined) ??
      new Counter({ name, help: 'Query plan cache lookups by result (hit or miss)', labelNames: ['result'] as const, registers: [registry] });
  }

  get size(): number {
    return this.entries.size;
  }

  getOrCreate(key: string, create: () => V): V {
    const cached = this.entries.get(key);
    if (cached !== undefined) {
      this.lookups.inc({ result: 'hit' });
      this.entries.delete(key);
      this.entries.set(key, cached);
      return cached;
    }
    this.lookups.inc({ result: 'miss' });
    const value = create();
    if (this.entries.size >= this.capacity) this.entries.delete(this.entries.keys().next().value as string);
    this.entries.set(key, value);
    return value;
  }
}
