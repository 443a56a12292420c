import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { testEnv } from '@voiceassist/testkit';
import { comparable, readSuite, readSuiteResolvers, startSuite, suiteNames, type RouterEngine, type RunningSuite } from './harness.js';
import { apolloFailures } from './known-failures.js';

// graphql-hive/federation-gateway-audit's 46 suites (199 cases) through our router, on both
// engines (only the one TEST_ROUTER_ENGINE names, when set): native is the default, Apollo
// Gateway the reference and fallback. Each case asserts the right answer. Where Apollo's query
// planner is known to answer wrongly, the case still asserts the right answer and is marked
// `it.fails` on the apollo engine: it fails the day Apollo answers right. The native engine has
// no known failures.

const engines: RouterEngine[] = testEnv.TEST_ROUTER_ENGINE ? [testEnv.TEST_ROUTER_ENGINE] : ['native', 'apollo'];

it("covers the audit's 46 suites and 199 cases, and names only real cases as Apollo's failures", () => {
  const names = suiteNames();
  expect(names).toHaveLength(46);
  expect(names.reduce((sum, name) => sum + readSuite(name).cases.length, 0)).toBe(199);
  for (const [name, cases] of Object.entries(apolloFailures)) {
    const count = readSuite(name).cases.length;
    expect(Object.keys(cases).every((index) => Number(index) < count), name).toBe(true);
  }
});

for (const engine of engines) {
  for (const name of suiteNames()) {
    const fixture = readSuite(name);
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
}
