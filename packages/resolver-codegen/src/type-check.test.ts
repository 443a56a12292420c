import { readFileSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { describe, expect, it } from 'vitest';
import { RESOLVER_TYPES_FILE, resolverTypesOf } from './resolver-types.js';

// The point of generated resolver types: when a subgraph's schema and its resolvers disagree, the
// type-check fails. Shown on identity (the smallest resolver map) by type-checking its resolvers
// against types generated from a changed copy of its SDL. The changed types are handed to the
// compiler in memory: nothing in the tree is written, and only identity's import graph is checked.

const root = fileURLToPath(new URL('../../../', import.meta.url));
const identity = join(root, 'subgraphs/identity');
const resolverTypesPath = resolve(identity, RESOLVER_TYPES_FILE);

function compilerOptions(): ts.CompilerOptions {
  const config = ts.getParsedCommandLineOfConfigFile(join(root, 'tsconfig.json'), {}, { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} });
  if (!config) throw new Error('tsconfig.json did not parse');
  return { ...config.options, noEmit: true };
}

let previous: ts.Program | undefined;

/** Type errors in identity's resolvers when their generated types say `resolverTypes`. */
function resolverErrors(resolverTypes: string): string[] {
  const options = compilerOptions();
  const host = ts.createCompilerHost(options);
  const readFile = host.readFile.bind(host);
  host.readFile = (path) => (resolve(path) === resolverTypesPath ? resolverTypes : readFile(path));
  // The second check reuses the first one's unchanged files (all but the generated types).
  const program = ts.createProgram([join(identity, 'src/resolvers/index.ts')], options, host, previous);
  previous = program;
  return ts
    .getPreEmitDiagnostics(program)
    .filter((d) => d.file && resolve(d.file.fileName).startsWith(join(identity, 'src/resolvers')))
    .map((d) => {
      const { line } = d.file!.getLineAndCharacterOfPosition(d.start ?? 0);
      const text = d.file!.text.split('\n')[line]!.trim();
      return `${relative(identity, d.file!.fileName)}: ${text} :: ${ts.flattenDiagnosticMessageText(d.messageText, '\n')}`;
    });
}

describe('generated resolver types', () => {
  it("fail the type-check when identity's schema and resolvers disagree, and pass when they agree", async () => {
    const sdl = readFileSync(join(identity, 'src/schema.graphql'), 'utf8');
    const agreeing = await resolverTypesOf(identity, sdl);
    expect(agreeing.content).toBe(readFileSync(resolverTypesPath, 'utf8'));
    expect(resolverErrors(agreeing.content)).toEqual([]);

    // An argument whose type changed (String -> Int) and a result whose type changed (Boolean -> String).
    const changed = sdl.replace('deleteMe(password: String!): Boolean!', 'deleteMe(password: Int!): Boolean!').replace('logout(refreshToken: String): Boolean!', 'logout(refreshToken: String): String!');
    expect(changed).not.toBe(sdl);
    const errors = resolverErrors((await resolverTypesOf(identity, changed)).content);
    expect(errors.some((e) => e.includes('deleteMe:') && /number/.test(e) && /string/.test(e))).toBe(true);
    expect(errors.some((e) => e.includes('logout:') && /boolean/.test(e) && /string/.test(e))).toBe(true);
  }, 120_000);
});
