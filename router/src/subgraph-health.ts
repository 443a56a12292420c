import type { SessionRevocations } from '@voiceassist/auth';
import { Gauge, type Registry } from '@voiceassist/metrics';
import type { LiveSupergraph } from './supergraph-loading.js';

/** Each subgraph's /health as the router sees it: 'ok', 'degraded (…)', 'unhealthy (status)' or 'unreachable'. */
async function probeSubgraphs(subgraphUrls: Record<string, string>): Promise<Record<string, string>> {
  const probes = Object.entries(subgraphUrls).map(async ([name, url]): Promise<[string, string]> => {
    try {
      const response = await fetch(new URL('/health', url), { signal: AbortSignal.timeout(2_000) });
      if (!response.ok) return [name, `unhealthy (${response.status})`];
      // A subgraph that is degraded still serves; say what it is without.
      const { degraded } = (await response.json().catch(() => ({}))) as { degraded?: unknown };
      return [name, Array.isArray(degraded) && degraded.length > 0 ? `degraded (${degraded.join(', ')})` : 'ok'];
    } catch {
      return [name, 'unreachable'];
    }
  });
  return Object.fromEntries(await Promise.all(probes));
}

export interface SubgraphHealth {
  /** Each subgraph's state at the last probe (the first probe's, awaited once, before any). */
  states(): Promise<Record<string, string>>;
  stop(): void;
}

/**
 * Probes every subgraph's /health in the background, every `intervalMs`: the router's /health
 * and subgraph_up read the last result, so however often they are called they cost no request
 * to a subgraph (nor a wait on one that does not answer). A probe still running is not doubled.
 */
export function watchSubgraphHealth(subgraphUrls: Record<string, string>, intervalMs: number): SubgraphHealth {
  let last: Record<string, string> = {};
  let probing: Promise<void> | undefined;
  const probe = () =>
    (probing ??= probeSubgraphs(subgraphUrls)
      .then((states) => {
        last = states;
      })
      .finally(() => {
        probing = undefined;
      }));
  const first = probe();
  const timer = setInterval(() => void probe(), intervalMs);
  timer.unref();
  return {
    states: async () => {
      await first;
      return last;
    },
    stop: () => clearInterval(timer),
  };
}

/** subgraph_up{subgraph}: 1 while its /health answers (degraded included), as of the last background probe. */
export function registerSubgraphGauge(registry: Registry, health: SubgraphHealth): void {
  new Gauge({
    name: 'subgraph_up',
    help: "Whether the router reaches a subgraph's /health (1) or not (0), as of its last background probe",
    labelNames: ['subgraph'],
    registers: [registry],
    async collect() {
      for (const [subgraph, state] of Object.entries(await health.states())) {
        this.set({ subgraph }, state === 'ok' || state.startsWith('degraded') ? 1 : 0);
      }
    },
  });
}

/**
 * The router's /ready and /health: ready once the schema is loaded and it can serve (a subgraph
 * that is down fails only its own fields, so a load balancer keeps this router and every other
 * subgraph's traffic); healthy with each subgraph's state, the revocations' and the supergraph's.
 */
export function routerHealthChecks(started: Promise<unknown>, subgraphHealth: SubgraphHealth, revocations: SessionRevocations, supergraph: LiveSupergraph) {
  let schemaLoaded = false;
  void started.then(() => (schemaLoaded = true), () => {});
  return {
    readiness: async () => ({ ready: schemaLoaded, details: schemaLoaded ? {} : { schema: 'loading' } }),
    health: async () => {
      const [subgraphs, revocationsSynced] = await Promise.all([
        subgraphHealth.states(),
        // Until the revoked sessions are known every token is refused (UNAUTHENTICATED); anonymous calls serve.
        revocations.checkSynced().then(() => true, () => false),
      ]);
      const { live, refused } = supergraph;
      return { subgraphs, revocations: revocationsSynced ? 'ok' : 'syncing', supergraph: { hash: live.hash, loadedAt: live.loadedAt, ...(refused ? { refused } : {}) } };
    },
  };
}
