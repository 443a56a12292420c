import { execFileSync } from 'node:child_process';
import { cpSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';

// `pnpm db:check`: fails when a subgraph's drizzle schema has changes its committed migrations
// lack. drizzle-kit generates into a copy of the migrations folder, so a check never writes into
// the tree; `pnpm --filter <subgraph> db:generate` writes the migration to review and commit.
const stale: string[] = [];
for (const name of readdirSync('subgraphs')) {
  const dir = resolve('subgraphs', name);
  if (!existsSync(join(dir, 'drizzle.config.ts'))) continue;
  const scratch = mkdtempSync(join(tmpdir(), `db-check-${name}-`));
  try {
    const out = join(scratch, 'drizzle');
    cpSync(join(dir, 'drizzle'), out, { recursive: true });
    const output = execFileSync(join(dir, 'node_modules/.bin/drizzle-kit'), ['generate', '--dialect', 'postgresql', '--schema', join(dir, 'src/db/schema.ts'), '--out', './drizzle'], {
      cwd: scratch,
      encoding: 'utf8',
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    if (!output.includes('No schema changes')) stale.push(name);
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
}
if (stale.length) {
  console.error(`Migrations are stale for: ${stale.join(', ')}. Run \`pnpm --filter <subgraph> db:generate\` for each, then review and commit the new migration.`);
  process.exit(1);
}
console.log('Migrations match every subgraph schema.');
