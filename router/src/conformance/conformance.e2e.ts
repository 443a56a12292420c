import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit';
import { comparable, hasSuiteResolvers, readSuite, readSuiteResolvers, startSuite, suiteNames, type RunningSuite } from './harness.js';
import { apolloFailures } from './known-failures.js';

// graphql-hive/federation-gateway-audit's 46 suites (199 cases) through our router, on the
// engine ROUTER_ENGINE names. Each case asserts the right answer. Where Apollo's query planner
// is known to answer wrongly, the case still asserts the right answer and is marked `it.fails`
// on the apollo engine: it fails the day Apollo answers right, and the native engine must pass it.

const engine = testEnv.ROUTER_ENGINE;

for (const name of suiteNames()) {
  const fixture = readSuite(name);
  if (!hasSuiteResolvers(name)) {
    // Listed as to-do in every run's summary, never passed over silently.
    describe(`${name} (no resolvers yet)`, () => fixture.cases.forEach((_, index) => it.todo(`#${index}`)));
    continue;
  }
  describe(`${name} (${engine} engine)`, () => {
    let suite: RunningSuite;
    beforeAll(async () => {
      suite = await startSuite(fixture, await readSuiteResolvers(name), engine);
    });
    afterAll(async () => {
      await suite?.close();
    });

    fixture.cases.forEach(({ query, expected }, index) => {
      const knownFailure = engine === 'apollo' ? apolloFailures[name]?.[index] : undefined;
      const title = knownFailure ? `#${index}, which Apollo's planner gets wrong: ${knownFailure}` : `#${index}`;
      (knownFailure ? it.fails : it)(title, async () => {
        const compared = comparable(await suite.query(query), expected);
        expect(compared.received, query).toEqual(compared.expected);
      });
    });
  });
}
