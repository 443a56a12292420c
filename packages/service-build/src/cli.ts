import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { buildService, serviceFolders } from './index.js';

// pnpm build (after the console): every service's src/index.ts → dist/index.js, which its
// package's `start` runs with plain node. Arguments name package folders; none means the
// router and every subgraph.
const folders = process.argv.length > 2 ? process.argv.slice(2) : serviceFolders('.');

for (const folder of folders) {
  const entry = join(folder, 'src', 'index.ts');
  if (!existsSync(entry)) {
    console.error(`${entry} does not exist`);
    process.exit(1);
  }
  await buildService({ entry, outfile: join(folder, 'dist', 'index.js') });
  console.log(`Built ${join(folder, 'dist', 'index.js')}`);
}
