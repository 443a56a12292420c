import { fileURLToPath } from 'node:url';
import { parse } from 'graphql';
import { describe, expect, it } from 'vitest';
import { composeSupergraph, subgraphsFromRoverConfig } from '@voiceassist/supergraph-composition';
import { voiceSubgraph } from './service.js';

const voice = { name: 'voice', url: 'http://voice/graphql', typeDefs: voiceSubgraph.typeDefs };

describe('voice SDL composition', () => {
  it('composes with any subgraph that owns Message { id content }', () => {
    const messages = {
      name: 'conversation',
      url: 'http://conversation/graphql',
      typeDefs: parse(`
        extend schema @link(url: "https://specs.apollo.dev/federation/v2.7", import: ["@key"])
        type Message @key(fields: "id") { id: ID! content: String! }
        type Query { message(id: ID!): Message }
      `),
    };
    const supergraph = composeSupergraph([messages, voice]);
    expect(supergraph).toMatch(/speech\(voice: String, format: AudioFormat = WAV\): SpeechAudio! @join__field\(graph: VOICE, requires: "content"\)/);
    expect(supergraph).toContain('synthesize(text: String!, voice: String, format: AudioFormat = WAV, rate: Float): SpeechAudio!');
  });

  it('needs that owner: content is external to voice', () => {
    expect(() => composeSupergraph([voice])).toThrow(/Message\.content.*@external/);
  });

  it("composes into the project's supergraph (rover.yaml)", () => {
    const rover = fileURLToPath(new URL('../../../rover.yaml', import.meta.url));
    const subgraphs = subgraphsFromRoverConfig(rover);
    expect(subgraphs.map((s) => s.name)).toContain('voice');
    expect(composeSupergraph(subgraphs)).toContain('@join__field(graph: VOICE, requires: "content")');
  });
});
