import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { resolverTypesOf, SUBGRAPHS_DIR } from './resolver-types.js';

// pnpm codegen:resolvers [--check]: subgraphs/<name>/src/resolvers/resolvers-types.ts from each
// subgraph's schema.graphql, so a resolver that disagrees with its schema fails the type-check.
// --check writes nothing and fails on drift.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const subgraphsDir = join(root, SUBGRAPHS_DIR);
const check = process.argv.includes('--check');

try {
  const names = readdirSync(subgraphsDir).filter((name) => existsSync(join(subgraphsDir, name, 'src/schema.graphql'))).sort();
  const stale: string[] = [];
  for (const name of names) {
    const { path, content } = await resolverTypesOf(join(subgraphsDir, name));
    if (existsSync(path) && readFileSync(path, 'utf8') === content) continue;
    stale.push(relative(root, path));
    if (!check) writeFileSync(path, content);
  }
  if (check && stale.length > 0) {
    for (const path of stale) console.error(`  ${path}`);
    console.error('Generated resolver types are stale: run `pnpm codegen:resolvers` and commit the result.');
    process.exit(1);
  }
  if (check) console.log(`Resolver types of ${names.length} subgraphs are up to date.`);
  else console.log(stale.length > 0 ? `Wrote ${stale.join(', ')}.` : 'Generated resolver types were already up to date.');
} catch (error) {
  console.error(error instanceof Error ? error.message : error);
  process.exit(1);
}
