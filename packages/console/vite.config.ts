import { fileURLToPath } from 'node:url';
import { defineConfig } from 'vite';

// The console is served by the router under /console (see router/src/console-site.ts) and talks
// to the router on its own origin. `vite` (dev) proxies /graphql, WebSocket included, to a
// router on localhost:4000 started by `pnpm start`.
export default defineConfig({
  root: fileURLToPath(new URL('.', import.meta.url)),
  base: '/console/',
  oxc: { jsx: { runtime: 'automatic' } },
  build: { outDir: 'dist', emptyOutDir: true, target: 'es2022', sourcemap: false },
  server: { proxy: { '/graphql': { target: 'http://localhost:4000', ws: true } } },
});
