import { readdirSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import ts from 'typescript';

// Static checks of the code's shape, with the TypeScript compiler's parser and module resolution:
// the import graph (for cycles, and for what production code reaches) and function lengths.

const SKIPPED_DIRECTORIES = new Set(['node_modules', 'dist', 'drizzle', 'generated']);

/** Every .ts file under `dirs` (paths relative to `root`), outside node_modules, builds and data. */
export function typeScriptFiles(root: string, dirs: string[]): string[] {
  const found: string[] = [];
  const walk = (dir: string) => {
    for (const name of readdirSync(dir)) {
      if (SKIPPED_DIRECTORIES.has(name) || name.startsWith('.')) continue;
      const path = join(dir, name);
      if (statSync(path).isDirectory()) walk(path);
      else if (/\.(?:ts|tsx|mts)$/.test(name) && !name.endsWith('.d.ts')) found.push(path);
    }
  };
  for (const dir of dirs) walk(join(root, dir));
  return found.sort();
}

const compilerOptions: ts.CompilerOptions = { module: ts.ModuleKind.NodeNext, moduleResolution: ts.ModuleResolutionKind.NodeNext, resolveJsonModule: true, allowJs: false };

function parse(file: string): ts.SourceFile {
  return ts.createSourceFile(file, ts.sys.readFile(file) ?? '', ts.ScriptTarget.Latest, true);
}

/** Module specifiers a file loads when it is loaded: imports and re-exports (type-only too), not `import()`. */
function staticSpecifiers(source: ts.SourceFile): string[] {
  const specifiers: string[] = [];
  for (const statement of source.statements) {
    if ((ts.isImportDeclaration(statement) || ts.isExportDeclaration(statement)) && statement.moduleSpecifier && ts.isStringLiteral(statement.moduleSpecifier)) {
      specifiers.push(statement.moduleSpecifier.text);
    }
  }
  return specifiers;
}

/**
 * Each file's static imports among `files` (workspace packages resolved through their
 * package.json exports to the files they name, as Node and tsc resolve them).
 */
export function importGraph(files: string[]): Map<string, Set<string>> {
  const known = new Set(files);
  const cache = ts.createModuleResolutionCache(process.cwd(), (name) => name, compilerOptions);
  const graph = new Map<string, Set<string>>();
  for (const file of files) {
    const imports = new Set<string>();
    for (const specifier of staticSpecifiers(parse(file))) {
      const resolved = ts.resolveModuleName(specifier, file, compilerOptions, ts.sys, cache, undefined, ts.ModuleKind.ESNext).resolvedModule;
      const target = resolved ? (ts.sys.realpath?.(resolved.resolvedFileName) ?? resolved.resolvedFileName) : undefined;
      if (target && known.has(target)) imports.add(target);
    }
    graph.set(file, imports);
  }
  return graph;
}

/** The graph's import cycles: each strongly connected component of more than one file, or a file importing itself. */
export function importCycles(graph: Map<string, Set<string>>): string[][] {
  // Tarjan's algorithm, iterative: the graph is the whole repository.
  let counter = 0;
  const index = new Map<string, number>();
  const lowLink = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const cycles: string[][] = [];
  for (const start of graph.keys()) {
    if (index.has(start)) continue;
    const work: { file: string; next: Iterator<string> }[] = [];
    const visit = (file: string) => {
      index.set(file, counter);
      lowLink.set(file, counter++);
      stack.push(file);
      onStack.add(file);
      work.push({ file, next: (graph.get(file) ?? new Set()).values() });
    };
    visit(start);
    while (work.length > 0) {
      const frame = work[work.length - 1]!;
      const step = frame.next.next();
      if (!step.done) {
        const target = step.value;
        if (!index.has(target)) visit(target);
        else if (onStack.has(target)) lowLink.set(frame.file, Math.min(lowLink.get(frame.file)!, index.get(target)!));
        continue;
      }
      work.pop();
      const parent = work[work.length - 1];
      if (parent) lowLink.set(parent.file, Math.min(lowLink.get(parent.file)!, lowLink.get(frame.file)!));
      if (lowLink.get(frame.file) !== index.get(frame.file)) continue;
      const component: string[] = [];
      let member: string;
      do {
        member = stack.pop()!;
        onStack.delete(member);
        component.push(member);
      } while (member !== frame.file);
      if (component.length > 1 || graph.get(frame.file)?.has(frame.file)) cycles.push(component.sort());
    }
  }
  return cycles;
}

/** Every file `entries` load, themselves included. */
export function reachableFrom(graph: Map<string, Set<string>>, entries: string[]): Set<string> {
  const reached = new Set<string>();
  const pending = [...entries];
  while (pending.length > 0) {
    const file = pending.pop()!;
    if (reached.has(file)) continue;
    reached.add(file);
    pending.push(...(graph.get(file) ?? []));
  }
  return reached;
}

export interface LongFunction {
  file: string;
  line: number;
  name: string;
  lines: number;
}

/** A comment saying why a function is long: `// long: <reason>` in front of it (or of its declaration). */
const LONG_REASON = /\/\/\s*long:\s*\S|\/\*+\s*long:\s*\S/;

function functionName(node: ts.SignatureDeclaration): string {
  if (node.name) return node.name.getText();
  const parent = node.parent;
  if ((ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) && parent.name) return parent.name.getText();
  return '(anonymous)';
}

/** Leading comments of the node and of the declarations it is the value of (`const f = () => …`, `key: function …`). */
function leadingComments(node: ts.Node, text: string): string[] {
  const comments: string[] = [];
  for (let current: ts.Node | undefined = node; current && !ts.isSourceFile(current); current = current.parent) {
    for (const range of ts.getLeadingCommentRanges(text, current.getFullStart()) ?? []) comments.push(text.slice(range.pos, range.end));
    if (ts.isStatement(current) || ts.isClassElement(current) || ts.isObjectLiteralElement(current)) break;
  }
  return comments;
}

/** Functions of `file` longer than `maxLines` lines (their whole body, inner closures included) with no `long:` reason. */
export function longFunctions(file: string, maxLines: number): LongFunction[] {
  const source = parse(file);
  const text = source.getFullText();
  const found: LongFunction[] = [];
  const visit = (node: ts.Node) => {
    if (ts.isFunctionLike(node) && 'body' in node && node.body) {
      const first = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const last = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = last - first + 1;
      if (lines > maxLines && !leadingComments(node, text).some((comment) => LONG_REASON.test(comment))) {
        found.push({ file, line: first + 1, name: functionName(node), lines });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

/** `file` relative to `root`, with forward slashes, for messages. */
export const shown = (root: string, file: string) => relative(root, file).split('\\').join('/');
