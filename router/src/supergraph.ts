import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Kind, parse, type ConstValueNode } from 'graphql';

/** The committed supergraph, wherever the router is started from. */
export const defaultSupergraphPath = fileURLToPath(new URL('../../schema/supergraph.graphql', import.meta.url));

export function readSupergraph(path: string = defaultSupergraphPath): string {
  return readFileSync(path, 'utf8');
}

/** Routing URLs composed into the supergraph (`@join__graph(name:, url:)`), by subgraph name. */
export function subgraphUrlsFromSupergraph(sdl: string): Record<string, string> {
  const urls: Record<string, string> = {};
  for (const definition of parse(sdl).definitions) {
    if (definition.kind !== Kind.ENUM_TYPE_DEFINITION || definition.name.value !== 'join__Graph') continue;
    for (const value of definition.values ?? []) {
      const join = value.directives?.find((d) => d.name.value === 'join__graph');
      const arg = (name: string) => join?.arguments?.find((a) => a.name.value === name)?.value as ConstValueNode | undefined;
      const name = arg('name');
      const url = arg('url');
      if (name?.kind === Kind.STRING && url?.kind === Kind.STRING) urls[name.value] = url.value;
    }
  }
  return urls;
}
