import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readLayerTable, type Layer } from './layers.js';
import { listWorkspacePackages, readRepoFile, repoRoot } from './workspace.js';

// ARCHITECTURE.md stays true: its layer table places every workspace package, the layers hold in
// the packages' runtime dependencies, and every repository path it names exists.

const architecture = readRepoFile('ARCHITECTURE.md');

/** Package folders per layer, from the table under "## Layers". */
function layerTable(): Map<string, Layer> {
  const placed = new Map<string, Layer>();
  for (const { layer, dir } of readLayerTable(architecture)) {
    expect(placed.has(dir), `${dir} is placed in two layers`).toBe(false);
    placed.set(dir, layer);
  }
  return placed;
}

describe('ARCHITECTURE.md', () => {
  const packages = listWorkspacePackages();
  const placed = layerTable();

  it('places every workspace package in one layer, and names no package that is not one', () => {
    expect(packages.map((p) => p.dir).filter((dir) => !placed.has(dir))).toEqual([]);
    expect([...placed.keys()].filter((dir) => !packages.some((p) => p.dir === dir))).toEqual([]);
  });

  it('holds in runtime dependencies: the kit depends on no app or composition package, an app on no other app', () => {
    const layerOf = new Map(packages.map((p) => [p.name, placed.get(p.dir)]));
    const breaches: string[] = [];
    for (const workspacePackage of packages) {
      const layer = placed.get(workspacePackage.dir);
      for (const dependency of Object.keys(workspacePackage.dependencies)) {
        const target = layerOf.get(dependency);
        if (!target) continue;
        if (layer === 'kit' && target !== 'kit') breaches.push(`${workspacePackage.name} (kit) depends on ${dependency} (${target})`);
        if (layer === 'apps' && target !== 'kit') breaches.push(`${workspacePackage.name} (app) depends on ${dependency} (${target})`);
      }
    }
    expect(breaches).toEqual([]);
  });

  it('shows the layers in the tree: the kit in packages/, apps in router/ and subgraphs/, composition in composition/ and e2e/', () => {
    const home: Record<Layer, RegExp> = { kit: /^packages\//, apps: /^(router$|subgraphs\/)/, composition: /^(composition\/|e2e$)/ };
    expect([...placed].filter(([dir, layer]) => !home[layer].test(dir)).map(([dir, layer]) => `${dir} (${layer})`)).toEqual([]);
  });

  it('has no cyclic workspace dependency, test and build dependencies included (pnpm would warn on every install)', () => {
    const edges = new Map(
      packages.map((p) => [p.name, Object.keys({ ...p.dependencies, ...p.devDependencies }).filter((name) => packages.some((q) => q.name === name))]),
    );
    const cycles: string[] = [];
    for (const start of edges.keys()) {
      // Depth-first from each package: a path that comes back to it is a cycle.
      const walk = (name: string, path: string[], seen: Set<string>) => {
        for (const next of edges.get(name) ?? []) {
          if (next === start) cycles.push([...path, next].join(' -> '));
          else if (!seen.has(next)) {
            seen.add(next);
            walk(next, [...path, next], seen);
          }
        }
      };
      walk(start, [start], new Set());
    }
    expect(cycles).toEqual([]);
  });

  it('names no workspace package like a dependency (`@voiceassist/x` beside npm `x` or `@scope/x`)', () => {
    const ours = new Set(packages.map((p) => p.name));
    const baseName = (name: string) => name.replace(/^@[^/]+\//, '');
    const clashes = new Set<string>();
    for (const p of packages) {
      for (const dependency of Object.keys({ ...p.dependencies, ...p.devDependencies })) {
        if (ours.has(dependency)) continue;
        const twin = [...ours].find((name) => baseName(name) === baseName(dependency));
        if (twin) clashes.add(`${twin} ~ ${dependency}`);
      }
    }
    expect([...clashes]).toEqual([]);
  });

  it('names only paths that exist', () => {
    const paths = [...architecture.matchAll(/`([\w.-]+(?:\/[\w.-]+)+\/?)`/g)].map(([, path]) => path!);
    expect(paths.length).toBeGreaterThan(30);
    const missing = paths.filter((path) => !existsSync(join(repoRoot, path)));
    expect(missing).toEqual([]);
  });
});
