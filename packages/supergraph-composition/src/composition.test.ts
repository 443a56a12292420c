import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { CompositionError, composeSupergraph, subgraphsFromRoverConfig } from './index.js';

const link = 'extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])';

describe('composition', () => {
  it('composes the subgraphs a rover config names, with their routing URLs', () => {
    const dir = mkdtempSync(join(tmpdir(), 'compose-'));
    writeFileSync(join(dir, 'a.graphql'), `${link}\ntype Query { a: A }\ntype A @key(fields: "id") { id: ID! }`);
    writeFileSync(join(dir, 'b.graphql'), `${link}\ntype A @key(fields: "id") { id: ID! b: String }`);
    writeFileSync(
      join(dir, 'rover.yaml'),
      'federation_version: =2.7.0\nsubgraphs:\n  a:\n    routing_url: http://a:1/graphql\n    schema:\n      file: ./a.graphql\n  b:\n    routing_url: http://b:2/graphql\n    schema:\n      file: ./b.graphql\n',
    );
    const sdl = composeSupergraph(subgraphsFromRoverConfig(join(dir, 'rover.yaml')));
    expect(sdl).toContain('@join__graph(name: "a", url: "http://a:1/graphql")');
    expect(sdl).toMatch(/type A[\s\S]*b: String/);
  });

  it('reports composition errors', () => {
    const bad = [
      { name: 'a', url: 'http://a', typeDefs: parse(`${link}\ntype Query { x: Int }`) },
      { name: 'b', url: 'http://b', typeDefs: parse(`${link}\ntype Query { x: String }`) },
    ];
    expect(() => composeSupergraph(bad)).toThrow(CompositionError);
  });
});
