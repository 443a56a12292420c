// A child process of subscriptions.bench.ts: the test subgraphs (ticker and catalog), which
// publish the events the benchmark measures.
import type { JWK } from 'jose';
import { serveBenchProcess } from '@voiceassist/benchmarks';
import { catalogModule, publishTick, startTestSubgraph, tickerModule } from '../../testing/fixtures.js';
import { TestIssuer } from '../../testing/issuer.js';

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
});
