import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { CompositionError, composeSupergraph, subgraphsFromRoverConfig } from './index.js';

// pnpm compose [--check]: writes schema/supergraph.graphql, or fails when it is stale.
const check = process.argv.includes('--check');
const configPath = 'rover.yaml';
const outputPath = 'schema/supergraph.graphql';

try {
  const supergraph = composeSupergraph(subgraphsFromRoverConfig(configPath));
  if (check) {
    const committed = existsSync(outputPath) ? readFileSync(outputPath, 'utf8') : '';
    if (committed !== supergraph) {
      console.error(`${outputPath} is stale: run \`pnpm compose\` and commit the result.`);
      process.exit(1);
    }
    console.log(`${outputPath} is up to date.`);
  } else {
    writeFileSync(outputPath, supergraph);
    console.log(`Wrote ${outputPath}.`);
  }
} catch (error) {
  console.error(error instanceof CompositionError ? error.message : error);
  process.exit(1);
}
