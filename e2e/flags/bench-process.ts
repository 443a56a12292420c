// A child process of flags.bench.ts: either identity + flags (with a router of their own, used
// only to set up accounts) or the router the benchmark measures, each in its own process.
import { serveBenchProcess } from '@voiceassist/benchmarks';
import { createLogger } from '@voiceassist/logging';
import { createTestRouter, type RouterTarget } from '@voiceassist/test-supergraph';

const stops: Array<() => Promise<void>> = [];

serveBenchProcess({
  async startServices({ users }: { users: number }) {
    const { startFlagsSupergraph } = await import('./supergraph.js');
    const t = await startFlagsSupergraph();
    stops.push(() => t.stop());
    const accounts = [t.user, ...(await Promise.all(Array.from({ length: users - 1 }, (_, i) => t.signUp(`bench-${i}`))))];
    return {
      target: t.supergraph.target,
      flagsUrl: t.supergraph.subgraphs.flags!.url,
      // The benchmark writes INTERNAL flags too, which only a SUPERADMIN may.
      adminToken: t.superadmin.accessToken,
      userTokens: accounts.map((a) => a.accessToken),
    };
  },
  async startRouter({ target }: { target: RouterTarget }) {
    const router = createTestRouter(target, {
      logger: createLogger({ service: 'router', level: 'silent' }),
      router: { subscriptionLimits: { maxPerUser: 10_000, maxTotal: 100_000, maxBufferedEvents: 100_000 } },
    });
    stops.push(() => router.close());
    const { url } = await router.listen(0, '127.0.0.1');
    return `${url}/graphql`;
  },
}, { onClose: async () => void (await Promise.allSettled(stops.map((stop) => stop()))) });
