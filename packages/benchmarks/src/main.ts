import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { pathToFileURL } from 'node:url';
import { renderMarkdown, type Benchmark } from './index.js';

// `pnpm bench [filter] [--quick]`: runs every *.bench.ts and prints its tables as Markdown,
// ready for BENCHMARKS.md. Each file's default export is a Benchmark.
const args = process.argv.slice(2);
const quick = args.includes('--quick');
const filter = args.find((a) => !a.startsWith('--'));
const root = process.cwd();

function findBenchFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir)) {
    if (name === 'node_modules' || name.startsWith('.')) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) out.push(...findBenchFiles(path));
    else if (name.endsWith('.bench.ts')) out.push(path);
  }
  return out;
}

const files = ['router', 'subgraphs', 'packages', 'composition', 'e2e']
  .flatMap((dir) => findBenchFiles(join(root, dir)))
  // A filter matches from the start of a path segment: `edge` is router/src/edge, not knowledge.
  .filter((file) => !filter || `/${relative(root, file)}`.includes(`/${filter}`));
if (files.length === 0) {
  console.error('No benchmark matched.');
  process.exit(1);
}
if (!(globalThis as { gc?: unknown }).gc) console.error('(run with --expose-gc for memory figures after collection)');
for (const file of files) {
  console.error(`running ${relative(root, file)}${quick ? ' (quick)' : ''}`);
  const bench = (await import(pathToFileURL(file).href)) as { default: Benchmark };
  console.log(renderMarkdown(await bench.default({ quick })));
}
process.exit(0);
