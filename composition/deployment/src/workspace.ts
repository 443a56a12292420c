import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse } from 'yaml';

/** The monorepo root (this file is composition/deployment/src/workspace.ts). */
export const repoRoot = resolve(dirname(fileURLToPath(import.meta.url)), '../../..');

export function readRepoFile(path: string): string {
  return readFileSync(join(repoRoot, path), 'utf8');
}

export interface WorkspacePackage {
  /** Directory relative to the repo root, e.g. `subgraphs/identity`. */
  dir: string;
  name: string;
  scripts: Record<string, string>;
  dependencies: Record<string, string>;
  devDependencies: Record<string, string>;
}

/** Expands the `packages` globs of pnpm-workspace.yaml (plain directories and `dir/*`). */
export function listWorkspacePackages(): WorkspacePackage[] {
  const { packages } = parse(readRepoFile('pnpm-workspace.yaml')) as { packages: string[] };
  const dirs = packages.flatMap((pattern) => {
    if (!pattern.includes('*')) return [pattern];
    if (!pattern.endsWith('/*') || pattern.slice(0, -2).includes('*')) {
      throw new Error(`pnpm-workspace.yaml: unsupported package pattern "${pattern}"`);
    }
    const parent = pattern.slice(0, -2);
    return readdirSync(join(repoRoot, parent), { withFileTypes: true })
      .filter((entry) => entry.isDirectory())
      .map((entry) => `${parent}/${entry.name}`);
  });
  return dirs
    .filter((dir) => existsSync(join(repoRoot, dir, 'package.json')))
    .map((dir) => {
      const manifest = JSON.parse(readRepoFile(`${dir}/package.json`)) as Partial<Omit<WorkspacePackage, 'dir' | 'name'>> & { name: string };
      return { dir, name: manifest.name, scripts: manifest.scripts ?? {}, dependencies: manifest.dependencies ?? {}, devDependencies: manifest.devDependencies ?? {} };
    });
}
