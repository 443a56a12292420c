import { readFile } from 'node:fs/promises';
import { ApolloGateway } from '@apollo/gateway';
import type { GraphQLSchema } from 'graphql';
import type { DegradableDependency } from '@voiceassist/service-endpoints';
import { Counter, Gauge, type Histogram, type ServiceMetrics } from '@voiceassist/metrics';
import { createEdge, type Edge, type EdgeOptions } from './edge/edge.js';
import { createQueryEngine, type QueryEngine } from './engine/engine.js';
import type { RouterOptions, SupergraphReload } from './router-options.js';
import { SubgraphDataSource } from './subgraph-data-source.js';
import { subgraphUrlsFromSupergraph } from './supergraph.js';
import { createReloadableGateway, supergraphHash, watchSupergraphFile, type GatewayInterface } from './supergraph-reload.js';
import { SubscriptionPlanner } from './subscriptions/planner.js';

/** Everything built from one supergraph: a reload builds all of it before anything is swapped. */
export interface LoadedSupergraph {
  sdl: string;
  hash: string;
  subgraphUrls: Record<string, string>;
  planner: SubscriptionPlanner;
  apiSchema: GraphQLSchema;
  engine: QueryEngine | undefined;
  gateway: GatewayInterface;
  edge: Edge;
  loadedAt: string;
}

export interface LiveSupergraphDeps {
  options: RouterOptions;
  edgeOptions: EdgeOptions;
  metrics: ServiceMetrics;
  subgraphLatency: Histogram<'subgraph' | 'outcome'>;
  /** What the router serves without, degraded: the Hive planner's fallback is named here. */
  degradable: Record<string, DegradableDependency>;
  /** Resolves once Apollo Server serves the first supergraph: a reload waits for it. */
  started: () => Promise<unknown>;
}

/**
 * The supergraph the router serves, and its reloads (`reload()`, SIGHUP, or the watched file):
 * a new supergraph is built whole (schema, planner, engine, edge) and swapped in for new
 * requests; an invalid one is refused and the previous one keeps serving.
 */
export class LiveSupergraph {
  live: LoadedSupergraph;
  /** The last supergraph refused since the live one was loaded, named by /health. */
  refused: { hash: string | undefined; reason: string; at: string } | undefined;
  /** One record, updated in place by a reload: the subscription pool reads it per upstream. */
  readonly subgraphUrls: Record<string, string> = {};
  /** The live supergraph's data sources by subgraph name (Apollo's path for subscription events). */
  readonly dataSources: Record<string, SubgraphDataSource> = {};
  readonly reloadable: ReturnType<typeof createReloadableGateway>;
  readonly nativeEngine: boolean;
  // Apollo Gateway's services, one per subgraph name and URL (a reload may move a subgraph).
  readonly #dataSourceCache = new Map<string, SubgraphDataSource>();
  readonly #info: Gauge<'hash'>;
  readonly #reloads: Counter<'outcome'>;
  #reloading: Promise<unknown> = Promise.resolve();
  #watcher: { close(): void } | undefined;

  constructor(private readonly deps: LiveSupergraphDeps) {
    const registers = [deps.metrics.registry];
    this.#info = new Gauge({ name: 'router_supergraph_info', help: 'The supergraph the router serves (1), by hash', labelNames: ['hash'] as const, registers });
    this.#reloads = new Counter({ name: 'router_supergraph_reloads_total', help: 'Supergraph reloads by outcome (reloaded, refused)', labelNames: ['outcome'] as const, registers });
    this.nativeEngine = (deps.options.engine ?? 'native') === 'native';
    this.live = this.#build(deps.options.supergraphSdl);
    this.#activate(this.live);
    this.reloadable = createReloadableGateway({ apiSchema: this.live.apiSchema, supergraphSdl: this.live.sdl, gateway: this.live.gateway });
  }

  #dataSourceFor(name: string, url: string): SubgraphDataSource {
    const key = `${name}\u0000${url}`;
    let dataSource = this.#dataSourceCache.get(key);
    if (!dataSource) this.#dataSourceCache.set(key, (dataSource = new SubgraphDataSource(name, url, this.deps.subgraphLatency, this.deps.options.subgraphTimeoutMs ?? 30_000)));
    return dataSource;
  }

  #build(sdl: string): LoadedSupergraph {
    const { options, metrics, subgraphLatency } = this.deps;
    const urls = { ...subgraphUrlsFromSupergraph(sdl), ...options.subgraphUrls };
    // Builds the supergraph and its API schema: throws on an invalid one.
    const planner = new SubscriptionPlanner(sdl);
    // With @defer on the native engine, which answers it as incremental delivery (Apollo Gateway
    // refuses it as an unknown directive); Apollo Server validates requests against this schema.
    const apiSchema = this.nativeEngine ? planner.apiSchema.toGraphQLJSSchema({ includeDefer: true }) : planner.graphqlApiSchema;
    const engine = this.nativeEngine
      ? createQueryEngine({
          supergraphSdl: sdl,
          apiSchema,
          supergraphSchema: planner.supergraphSchema,
          subgraphUrls: urls,
          planner: options.queryPlanner ?? 'hive',
          deduplicateQueries: options.deduplicateQueries ?? true,
          planCacheSize: options.queryPlanCacheSize ?? 1_000,
          subgraphTimeoutMs: options.subgraphTimeoutMs ?? 30_000,
          subgraphLatency,
          registry: metrics.registry,
          logger: options.logger,
          ...(options.loadHivePlanner ? { loadHivePlanner: options.loadHivePlanner } : {}),
        })
      : undefined;
    const gateway =
      engine?.gateway ??
      new ApolloGateway({
        supergraphSdl: sdl,
        buildService: ({ name, url }) => this.#dataSourceFor(name, urls[name] ?? url!),
        logger: options.logger,
      });
    const edge = createEdge(this.deps.edgeOptions, planner.graphqlApiSchema, options.logger);
    return { sdl, hash: supergraphHash(sdl), subgraphUrls: urls, planner, apiSchema, engine, gateway, edge, loadedAt: new Date().toISOString() };
  }

  /** Makes `loaded` what new requests and subscriptions see (its gateway is already serving). */
  #activate(loaded: LoadedSupergraph): void {
    const { subgraphUrls, dataSources, deps } = this;
    this.live = loaded;
    for (const name of Object.keys(subgraphUrls)) if (!(name in loaded.subgraphUrls)) delete subgraphUrls[name];
    Object.assign(subgraphUrls, loaded.subgraphUrls);
    for (const name of Object.keys(dataSources)) delete dataSources[name];
    for (const [name, url] of Object.entries(subgraphUrls)) dataSources[name] = this.#dataSourceFor(name, url);
    // Named by /health and /ready while the router plans with Apollo's planner instead.
    const fallbackReason = loaded.engine?.planner.fallbackReason;
    if (fallbackReason) deps.degradable['hive-query-planner'] = { up: false, reason: fallbackReason, onChange: () => () => {} };
    else delete deps.degradable['hive-query-planner'];
    this.#info.reset();
    this.#info.set({ hash: loaded.hash }, 1);
  }

  /** One reload at a time, in the order asked: `sdl`, or the supergraph file re-read. */
  reload(sdl?: string): Promise<SupergraphReload> {
    const result = this.#reloading.then(() => this.#reloadOnce(sdl));
    this.#reloading = result;
    return result;
  }

  async #reloadOnce(sdl: string | undefined): Promise<SupergraphReload> {
    const { options } = this.deps;
    let hash: string | undefined;
    try {
      if (sdl === undefined) {
        if (!options.supergraphPath) throw new Error('the router was not started from a supergraph file (SUPERGRAPH_PATH)');
        sdl = await readFile(options.supergraphPath, 'utf8');
      }
      hash = supergraphHash(sdl);
      if (hash === this.live.hash) return { outcome: 'unchanged', hash };
      await this.deps.started();
      const next = this.#build(sdl);
      await this.reloadable.replace({ apiSchema: next.apiSchema, supergraphSdl: next.sdl, gateway: next.gateway });
      const previousHash = this.live.hash;
      this.#activate(next);
      this.refused = undefined;
      this.#reloads.inc({ outcome: 'reloaded' });
      options.logger.info({ hash, previousHash, subgraphs: Object.keys(next.subgraphUrls) }, 'supergraph reloaded');
      return { outcome: 'reloaded', hash, previousHash };
    } catch (error) {
      // Only the first line: composition errors can be long, and none of it is a secret.
      const reason = (error as Error).message.split('\n')[0] ?? 'unknown error';
      this.refused = { hash, reason, at: new Date().toISOString() };
      this.#reloads.inc({ outcome: 'refused' });
      options.logger.error({ hash: hash ?? null, liveHash: this.live.hash, reason }, 'supergraph refused; the previous one keeps serving');
      return { outcome: 'refused', hash, reason };
    }
  }

  /** Reloads when the supergraph file changes (SUPERGRAPH_WATCH). */
  watch(): void {
    const { options } = this.deps;
    if (!options.watchSupergraph || !options.supergraphPath) return;
    // Out of inotify watches, or the directory is gone: serve on; SIGHUP still reloads.
    const unwatched = (error: Error) => options.logger.warn({ err: error, supergraphPath: options.supergraphPath }, 'supergraph file not watched; SIGHUP reloads it');
    try {
      this.#watcher = watchSupergraphFile(options.supergraphPath, options.supergraphWatchDebounceMs ?? 250, () => void this.reload(), unwatched);
    } catch (error) {
      unwatched(error as Error);
    }
  }

  close(): void {
    this.#watcher?.close();
  }
}
