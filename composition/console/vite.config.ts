import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the router under /console (see router/src/console-site.ts) and talks
// to the router on its own origin. `vite` (dev) proxies /graphql, WebSocket included, to a
// router on localhost:4000 started by `pnpm start`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: {
    outDir: 'dist',
    emptyOutDir: true,
    target: 'es2022',
    sourcemap: false,
    // GraphiQL with CodeMirror is ~800 kB in one chunk, loaded only by the explorer page.
    chunkSizeWarningLimit: 1_000,
    // explorer.html: GraphiQL, where the router's landing page falls back when Apollo Sandbox cannot load.
    rolldownOptions: {
      input: { console: fileURLToPath(new URL('index.html', import.meta.url)), explorer: fileURLToPath(new URL('explorer.html', import.meta.url)) },
      // GraphiQL's dependencies mark modules "use client" (for React Server Components): meaningless in this bundle.
      onwarn(warning, warn) {
        if (warning.code !== 'MODULE_LEVEL_DIRECTIVE') warn(warning);
      },
    },
  },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
