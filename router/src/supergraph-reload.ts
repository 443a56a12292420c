import { createHash } from 'node:crypto';
import { watch, type FSWatcher } from 'node:fs';
import { basename, dirname } from 'node:path';
import type { ApolloServerOptionsWithGateway, BaseContext } from '@apollo/server';
import type { GraphQLSchema } from 'graphql';

// Apollo Server's gateway contract, named through @apollo/server (which depends on its package).
export type GatewayInterface = ApolloServerOptionsWithGateway<BaseContext>['gateway'];
type GatewaySchemaLoadOrUpdateCallback = Parameters<GatewayInterface['onSchemaLoadOrUpdate']>[0];
type GatewayExecutor = NonNullable<Awaited<ReturnType<GatewayInterface['load']>>['executor']>;

/** Names a supergraph in logs, /health and metrics: the first 16 hex digits of its SHA-256. */
export function supergraphHash(sdl: string): string {
  return createHash('sha256').update(sdl).digest('hex').slice(0, 16);
}

/** One supergraph's schema and the gateway (Apollo Gateway or the native engine's) that runs it. */
export interface GatewayGeneration {
  apiSchema: GraphQLSchema;
  supergraphSdl: string;
  gateway: GatewayInterface;
}

interface LoadedGeneration extends GatewayGeneration {
  executor: GatewayExecutor;
  inFlight: number;
  retired: boolean;
}

/**
 * A gateway for Apollo Server whose supergraph can be replaced while it serves. Apollo Server
 * validates each request against the schema it had when the request arrived and hands that
 * schema to the executor, so a request runs on the generation it was validated against: in-flight
 * requests finish on the old one, which is stopped once the last of them is done.
 */
export function createReloadableGateway(first: GatewayGeneration) {
  const callbacks = new Set<GatewaySchemaLoadOrUpdateCallback>();
  const bySchema = new Map<GraphQLSchema, LoadedGeneration>();
  let current: LoadedGeneration | undefined;
  let loadOptions: Parameters<GatewayInterface['load']>[0] | undefined;

  async function loadGeneration(generation: GatewayGeneration): Promise<LoadedGeneration> {
    if (!loadOptions) throw new Error('the gateway has not been loaded by Apollo Server yet');
    const { executor } = await generation.gateway.load(loadOptions);
    if (!executor) throw new Error('the gateway loaded without an executor');
    return { ...generation, executor, inFlight: 0, retired: false };
  }

  function stopWhenIdle(generation: LoadedGeneration): void {
    if (!generation.retired || generation.inFlight > 0) return;
    bySchema.delete(generation.apiSchema);
    void generation.gateway.stop();
  }

  const executor: GatewayExecutor = async (requestContext) => {
    const generation = bySchema.get(requestContext.schema) ?? current!;
    generation.inFlight += 1;
    try {
      return await generation.executor(requestContext);
    } finally {
      generation.inFlight -= 1;
      stopWhenIdle(generation);
    }
  };

  const gateway: GatewayInterface = {
    onSchemaLoadOrUpdate(callback) {
      callbacks.add(callback);
      return () => callbacks.delete(callback);
    },
    async load(options) {
      loadOptions = options;
      current = await loadGeneration(first);
      bySchema.set(current.apiSchema, current);
      for (const callback of callbacks) callback({ apiSchema: current.apiSchema, coreSupergraphSdl: current.supergraphSdl });
      return { executor };
    },
    async stop() {
      const generations = [...bySchema.values()];
      bySchema.clear();
      await Promise.all(generations.map((generation) => generation.gateway.stop()));
    },
  };

  return {
    gateway,
    /** Serves `next` to every request that arrives from now on; the old generation drains. */
    async replace(next: GatewayGeneration): Promise<void> {
      const loaded = await loadGeneration(next);
      const previous = current;
      bySchema.set(loaded.apiSchema, loaded);
      current = loaded;
      for (const callback of callbacks) callback({ apiSchema: loaded.apiSchema, coreSupergraphSdl: loaded.supergraphSdl });
      if (previous) {
        previous.retired = true;
        stopWhenIdle(previous);
      }
    },
  };
}

/**
 * Calls `onChange` once a supergraph file has been quiet for `debounceMs` after changing. The
 * directory is watched, not the file: tools that write a new file and rename it over the old
 * one (composition, editors, config management) replace the inode a file watch would follow.
 */
export function watchSupergraphFile(path: string, debounceMs: number, onChange: () => void, onError: (error: Error) => void): { close(): void } {
  const name = basename(path);
  let timer: NodeJS.Timeout | undefined;
  const watcher: FSWatcher = watch(dirname(path), { persistent: false }, (_event, filename) => {
    if (filename !== null && filename !== name) return;
    clearTimeout(timer);
    timer = setTimeout(onChange, debounceMs);
  });
  // A watcher error (the directory removed) would otherwise be an unhandled 'error' event.
  watcher.on('error', (error) => {
    clearTimeout(timer);
    watcher.close();
    onError(error);
  });
  return {
    close() {
      clearTimeout(timer);
      watcher.close();
    },
  };
}
