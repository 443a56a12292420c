// A child process of subscriptions.bench.ts: one router and nothing else (no test subgraph
// code), bundled and run by plain node as in production, so its CPU and memory are a router's.
import { PerformanceObserver, monitorEventLoopDelay } from 'node:perf_hooks';
import { writeHeapSnapshot } from 'node:v8';
import type { JWK } from 'jose';
import { collectGarbage, serveBenchProcess } from '@voiceassist/benchmarks';
import { createLogger } from '@voiceassist/logging';
import { createRouter, type Router } from '../../src/router.js';
import { TestIssuer } from '../../testing/issuer.js';

let router: Router | undefined;

// Why p99 is what it is: event-loop stalls and GC pauses between two `stalls` calls.
const loopDelay = monitorEventLoopDelay({ resolution: 5 });
loopDelay.enable();
let gcPauses: number[] = [];
new PerformanceObserver((list) => {
  for (const entry of list.getEntries()) gcPauses.push(entry.duration);
}).observe({ entryTypes: ['gc'] });

serveBenchProcess({
  async startRouter({ privateJwk, supergraphSdl, sharedFields }: { privateJwk: JWK; supergraphSdl: string; sharedFields: string[] }) {
    const issuer = await TestIssuer.create(privateJwk);
    router = createRouter({
      supergraphSdl,
      verifier: issuer.verifier,
      revocations: issuer.revocations,
      logger: createLogger({ service: 'router', level: 'silent' }),
      subscriptionLimits: { maxPerUser: 100_000, maxTotal: 100_000, maxBufferedEvents: 100_000 },
      sharedSubscriptionFields: sharedFields,
    });
    const { url } = await router.listen(0, '127.0.0.1');
    return `${url.replace(/^http/, 'ws')}/graphql`;
  },
  /** Event-loop delay p99 and max, and GC pause total and max (ms), since the last call. */
  stalls() {
    const result = {
      loopP99: loopDelay.percentile(99) / 1e6,
      loopMax: loopDelay.max / 1e6,
      gcTotal: gcPauses.reduce((sum, d) => sum + d, 0),
      gcMax: Math.max(0, ...gcPauses),
    };
    loopDelay.reset();
    gcPauses = [];
    return result;
  },
  /** For looking into memory per subscription: a snapshot to compare in DevTools. */
  heapSnapshot({ path }: { path: string }) {
    collectGarbage();
    return writeHeapSnapshot(path);
  },
  stats() {
    return router?.subscriptions.stats();
  },
});
