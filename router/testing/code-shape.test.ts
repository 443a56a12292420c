import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, describe, expect, it } from 'vitest';
import { importCycles, importGraph, longFunctions, reachableFrom, shown, typeScriptFiles } from './code-shape.js';

const root = fileURLToPath(new URL('../..', import.meta.url));
const at = (path: string) => join(root, path);
const files = typeScriptFiles(root, ['router', 'subgraphs', 'packages']);
const graph = importGraph(files);
const MAX_FUNCTION_LINES = 100;

/** What each package's production entry points load: the code its users run (tests, benchmarks and fixtures are not reached). */
const productionFiles = {
  router: reachableFrom(graph, [at('router/src/index.ts'), at('router/src/router.ts')]),
  subgraphServer: reachableFrom(graph, [at('packages/subgraph-server/src/index.ts'), at('packages/subgraph-server/src/erasure-entities.ts')]),
};

describe('the code’s shape', () => {
  it('has no import cycle in the TypeScript of router, subgraphs and packages', () => {
    expect(files.length).toBeGreaterThan(400);
    expect(importCycles(graph).map((cycle) => cycle.map((file) => shown(root, file)))).toEqual([]);
  });

  it('keeps benchmarks and test fixtures out of the router’s production code (and so out of its bundle)', () => {
    const router = [...productionFiles.router].map((file) => shown(root, file));
    expect(router).toContain('router/src/subscriptions/server.ts');
    expect(router.filter((file) => !file.startsWith('router/src/') && !file.startsWith('packages/'))).toEqual([]);
    expect(router.filter((file) => /\.(?:test|e2e|bench)\.ts$/.test(file))).toEqual([]);
  });

  it(`has no function over ${MAX_FUNCTION_LINES} lines in the router’s or the subgraph server’s production code without a \`// long:\` reason`, () => {
    const own = [...productionFiles.router, ...productionFiles.subgraphServer].filter((file) => file.startsWith(at('router/src/')) || file.startsWith(at('packages/subgraph-server/src/')));
    expect(own.length).toBeGreaterThan(20);
    const long = own.flatMap((file) => longFunctions(file, MAX_FUNCTION_LINES)).map(({ file, line, name, lines }) => `${shown(root, file)}:${line} ${name} (${lines} lines)`);
    expect(long).toEqual([]);
  });
});

describe('the checks themselves', () => {
  const scratch = mkdtempSync(join(tmpdir(), 'code-shape-'));
  afterAll(() => rmSync(scratch, { recursive: true, force: true }));
  const write = (name: string, text: string) => {
    writeFileSync(join(scratch, name), text);
    return join(scratch, name);
  };

  it('find a cycle through three files, and none once it is broken', () => {
    const a = write('a.ts', "import { b } from './b.js';\nexport const a = b;\n");
    const b = write('b.ts', "import type { C } from './c.js';\nexport const b = 1 as C;\n");
    const c = write('c.ts', "export { a } from './a.js';\nexport type C = number;\n");
    expect(importCycles(importGraph([a, b, c]))).toEqual([[a, b, c].sort()]);
    write('c.ts', 'export type C = number;\n');
    expect(importCycles(importGraph([a, b, c]))).toEqual([]);
  });

  it('measure a function with its inner closures, and let one through that says why it is long', () => {
    const body = Array.from({ length: 100 }, (_, i) => `  const v${i} = () => ${i};`).join('\n');
    const file = write('long.ts', `export function tooLong() {\n${body}\n}\nexport const short = () => 1;\n`);
    expect(longFunctions(file, MAX_FUNCTION_LINES)).toEqual([{ file, line: 1, name: 'tooLong', lines: 102 }]);
    write('long.ts', `// long: a scratch function that lists its steps in order\nexport const tooLong = () => {\n${body}\n};\n`);
    expect(longFunctions(file, MAX_FUNCTION_LINES)).toEqual([]);
  });
});
