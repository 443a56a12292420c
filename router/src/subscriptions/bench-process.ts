// A child process of subscriptions.bench.ts: it runs either the test subgraphs or one router,
// so the benchmark measures the router's CPU and memory apart from the clients and subgraphs.
import { writeHeapSnapshot } from 'node:v8';
import type { JWK } from 'jose';
import { serveBenchProcess } from '@voiceassist/benchmarks';
import { createLogger } from '@voiceassist/logging';
import { createRouter, type Router } from '../router.js';
import { TestIssuer, catalogModule, publishTick, startTestSubgraph, tickerModule } from '../test-fixtures.js';

let router: Router | undefined;

serveBenchProcess({
  async startSubgraphs({ privateJwk }: { privateJwk: JWK }) {
    const issuer = await TestIssuer.create(privateJwk);
    const ticker = await startTestSubgraph(tickerModule, issuer.verifier);
    const catalog = await startTestSubgraph(catalogModule, issuer.verifier);
    return { ticker: ticker.url, catalog: catalog.url };
  },
  async publish({ topic, n }: { topic: string; n: number }) {
    await publishTick(topic, n);
  },
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
  /** For looking into memory per subscription: a snapshot to compare in DevTools. */
  heapSnapshot({ path }: { path: string }) {
    (globalThis as { gc?: () => void }).gc?.();
    return writeHeapSnapshot(path);
  },
  stats() {
    return router?.subscriptions.stats();
  },
});
