import { readFileSync } from 'node:fs';
import { URL } from 'node:url';
import js from '@eslint/js';
import tseslint from 'typescript-eslint';
import { LAYERS, readLayerTable } from './composition/deployment/src/layers.js';

// The layers are written once, in ARCHITECTURE.md's table (composition/deployment/src/architecture.test.ts
// checks it places every package); imports must hold to them: the kit imports no app and nothing
// that composes apps, an app imports no other app and nothing that composes apps.
function layerTable() {
  const layers = Object.fromEntries(LAYERS.map((layer) => [layer, []]));
  for (const { layer, dir } of readLayerTable(readFileSync(new URL('./ARCHITECTURE.md', import.meta.url), 'utf8'))) {
    layers[layer].push({ dir, name: JSON.parse(readFileSync(new URL(`./${dir}/package.json`, import.meta.url), 'utf8')).name });
  }
  return layers;
}

function layerRule(dirs, forbidden, message) {
  return {
    files: dirs.map((dir) => `${dir}/**/*.{ts,tsx}`),
    rules: { 'no-restricted-imports': ['error', { patterns: [{ group: forbidden.flatMap(({ name }) => [name, `${name}/*`]), message }] }] },
  };
}

const layers = layerTable();
const layerRules = [
  layerRule(layers.kit.map(({ dir }) => dir), [...layers.apps, ...layers.composition], 'The kit imports no app and nothing that composes apps (ARCHITECTURE.md).'),
  ...layers.apps.map((app) =>
    layerRule([app.dir], [...layers.apps.filter((other) => other !== app), ...layers.composition], 'An app imports the kit only: no other app, nothing that composes apps (ARCHITECTURE.md).'),
  ),
];

export default tseslint.config(
  { ignores: ['**/node_modules/**', '**/.data/**', 'schema/**', '**/drizzle/**', 'test-output/**', '**/dist/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommended,
  {
    files: ['**/*.ts'],
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_', destructuredArrayIgnorePattern: '^_' }],
      '@typescript-eslint/consistent-type-imports': ['error', { fixStyle: 'inline-type-imports' }],
      // Env is read once per service through @voiceassist/env.
      'no-restricted-properties': ['error', { object: 'process', property: 'env', message: 'Read env once through @voiceassist/env.' }],
    },
  },
  ...layerRules,
  {
    // The one place that reads the environment; everything else (tests and benchmarks too) goes through it.
    files: ['packages/env/src/index.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
