import { execFileSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';

// `pnpm db:check`: fails when a subgraph's drizzle schema has changes its committed migrations
// lack (run `pnpm --filter <subgraph> db:generate` and commit the new migration).
const stale: string[] = [];
for (const name of readdirSync('subgraphs')) {
  const dir = join('subgraphs', name);
  if (!existsSync(join(dir, 'drizzle.config.ts'))) continue;
  const output = execFileSync('node_modules/.bin/drizzle-kit', ['generate'], { cwd: dir, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  if (!output.includes('No schema changes')) stale.push(name);
}
if (stale.length) {
  console.error(`Migrations are stale for: ${stale.join(', ')}. Generated files now in their drizzle/ folders; review and commit them.`);
  process.exit(1);
}
console.log('Migrations match every subgraph schema.');
