import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['{router,subgraphs,packages}/**/src/**/*.{test,e2e}.ts'],
    exclude: ['**/node_modules/**', '**/.data/**'],
    // Whole-supergraph tests start PGlite instances and servers; give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    benchmark: { include: ['{router,subgraphs,packages}/**/src/**/*.bench.ts'] },
  },
});
