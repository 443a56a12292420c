import { readFileSync } from 'node:fs';
import { dirname, resolve } from 'node:path';
import { composeServices } from '@apollo/composition';
import { parse, type DocumentNode } from 'graphql';
import { parse as parseYaml } from 'yaml';

/** The part of `rover supergraph compose`'s config format we use. */
export interface RoverConfig {
  federation_version: string;
  subgraphs: Record<string, { routing_url: string; schema: { file: string } }>;
}

export interface SubgraphDefinition {
  name: string;
  url: string;
  typeDefs: DocumentNode;
}

export class CompositionError extends Error {
  constructor(readonly errors: string[]) {
    super(`Composition failed:\n${errors.map((e) => `  - ${e}`).join('\n')}`);
    this.name = 'CompositionError';
  }
}

export function readRoverConfig(path: string): RoverConfig {
  const config = parseYaml(readFileSync(path, 'utf8')) as Partial<RoverConfig> | null;
  if (!config || typeof config.subgraphs !== 'object' || !config.subgraphs) {
    throw new CompositionError([`${path} has no subgraphs`]);
  }
  for (const [name, subgraph] of Object.entries(config.subgraphs)) {
    if (!subgraph?.routing_url || !subgraph.schema?.file) {
      throw new CompositionError([`${path}: subgraph "${name}" needs routing_url and schema.file`]);
    }
  }
  return { federation_version: String(config.federation_version ?? ''), subgraphs: config.subgraphs };
}

/** Loads every subgraph's SDL named in a rover config, relative to the config's folder. */
export function subgraphsFromRoverConfig(path: string): SubgraphDefinition[] {
  const config = readRoverConfig(path);
  const base = dirname(resolve(path));
  return Object.entries(config.subgraphs).map(([name, subgraph]) => ({
    name,
    url: subgraph.routing_url,
    typeDefs: parse(readFileSync(resolve(base, subgraph.schema.file), 'utf8')),
  }));
}

/** Composes subgraphs into a supergraph SDL, the same result `rover supergraph compose` gives. */
export function composeSupergraph(subgraphs: SubgraphDefinition[]): string {
  const result = composeServices(subgraphs.map(({ name, url, typeDefs }) => ({ name, url, typeDefs })));
  if (result.errors) throw new CompositionError(result.errors.map((e) => e.message));
  return result.supergraphSdl;
}
