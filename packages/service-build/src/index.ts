import { readdirSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';

// Production runs each service as plain JavaScript: one file per service with our workspace
// TypeScript compiled in, started by `node` without tsx (whose loader thread and transform
// cache cost a service ~50 MB of memory). Third-party packages are not bundled: they stay
// the installed files, imported by paths relative to the output, so Node loads exactly what
// pnpm installed (one graphql, native addons and data files where their packages expect them).

export interface BuildServiceOptions {
  /** The service's entry module, e.g. router/src/index.ts. */
  entry: string;
  /** Where the bundle goes, e.g. router/dist/index.js (its source map beside it). */
  outfile: string;
}

const WORKSPACE_SCOPE = '@voiceassist/';
const SOURCE_FILE = /\.(?:ts|tsx|mts)$/;

/** A path an ES module import accepts, relative to the bundle's folder. */
function importPathFrom(outDir: string, file: string): string {
  const path = relative(outDir, file).split(sep).join('/');
  return path.startsWith('.') ? path : `./${path}`;
}

/** Third-party imports stay external, pointing at the file pnpm installed for the importing package. */
function installedPackagesExternal(outDir: string): Plugin {
  return {
    name: 'installed-packages-external',
    setup(builder) {
      builder.onResolve({ filter: /^[^./]/ }, async (args) => {
        if (args.path.startsWith(WORKSPACE_SCOPE) || args.path.startsWith('node:') || args.pluginData === 'resolving') return undefined;
        const resolved = await builder.resolve(args.path, { kind: args.kind, resolveDir: args.resolveDir, importer: args.importer, pluginData: 'resolving' });
        if (resolved.errors.length > 0) return { errors: resolved.errors };
        if (resolved.external) return { path: args.path, external: true };
        // Side-effect free as far as the bundle goes: an import none of whose bindings the service
        // uses is dropped, so the router does not load the subgraph server's libraries because
        // it shares a helper module with it. (No source file imports a package for effect alone.)
        return { path: importPathFrom(outDir, resolved.path), external: true, sideEffects: false };
      });
    },
  };
}

/**
 * `import.meta.url` keeps meaning the module's own source file, so files found relative to
 * it (schema.graphql, drizzle migrations, createRequire) are found from the bundle as well.
 */
function sourceModuleUrls(outDir: string): Plugin {
  return {
    name: 'source-module-urls',
    setup(builder) {
      builder.onLoad({ filter: SOURCE_FILE }, async (args) => {
        const text = await readFile(args.path, 'utf8');
        if (!text.includes('import.meta.url')) return undefined;
        const url = `new URL(${JSON.stringify(importPathFrom(outDir, args.path))}, import.meta.url).href`;
        return { contents: text.replaceAll('import.meta.url', url), loader: 'ts', resolveDir: dirname(args.path) };
      });
    },
  };
}

/** Bundles one service's entry into a single ES module for Node 20, with a linked source map. */
export async function buildService({ entry, outfile }: BuildServiceOptions): Promise<void> {
  const outDir = dirname(resolve(outfile));
  await build({
    entryPoints: [entry],
    outfile,
    bundle: true,
    platform: 'node',
    format: 'esm',
    target: 'node20',
    sourcemap: 'linked',
    // The sources are on disk beside the bundle; the map only points at them.
    sourcesContent: false,
    logLevel: 'warning',
    // Resolve packages as Node does: without this, esbuild adds webpack's `module` export
    // condition, whose files (@opentelemetry/api's ESM build) use extensionless imports Node refuses.
    conditions: ['node'],
    plugins: [installedPackagesExternal(outDir), sourceModuleUrls(outDir)],
  });
}

/** The package folders of every deployed service, relative to the repository root: the router and each subgraph. */
export function serviceFolders(root: string): string[] {
  return ['router', ...readdirSync(join(root, 'subgraphs')).map((name) => join('subgraphs', name))];
}
