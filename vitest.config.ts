import { createRequire } from 'node:module';
import { defineConfig } from 'vitest/config';

const require = createRequire(import.meta.url);

export default defineConfig({
  resolve: {
    // graphql 16 has no "exports": Node loads its CommonJS build for everyone, but Vite would
    // hand our code the .mjs build, and two graphql instances reject each other's schemas.
    alias: [{ find: /^graphql$/, replacement: require.resolve('graphql', { paths: [require.resolve('@apollo/server', { paths: ['router'] })] }) }],
  },
  test: {
    include: ['{router,subgraphs,packages,composition}/**/src/**/*.{test,e2e}.ts', 'router/{bench,testing}/**/*.{test,e2e}.ts', 'e2e/**/*.{test,e2e}.ts'],
    exclude: ['**/node_modules/**', '**/.data/**'],
    // Whole-supergraph tests start PGlite instances and servers; give them room on 2 cores.
    testTimeout: 30_000,
    hookTimeout: 60_000,
    pool: 'forks',
    maxWorkers: 2,
    benchmark: { include: ['{router,subgraphs,packages,composition}/**/src/**/*.bench.ts', 'router/bench/**/*.bench.ts', 'e2e/**/*.bench.ts'] },
  },
});
