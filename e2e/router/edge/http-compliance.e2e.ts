import { serverAudits } from 'graphql-http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';

let supergraph: TestSupergraph;
beforeAll(async () => {
  supergraph = await startSupergraph({ subgraphs: ['identity'] });
});
afterAll(() => supergraph?.stop());

describe('GraphQL over HTTP (graphql-http server audits)', () => {
  for (const audit of serverAudits({ url: () => supergraph.graphqlUrl, fetchFn: fetch })) {
    it(audit.name, async () => {
      const result = await audit.fn();
      // Warnings count as failures: every MUST and SHOULD of the spec is met.
      expect(result.status === 'ok' ? 'ok' : `${result.status}: ${result.reason}`).toBe('ok');
    });
  }
});
