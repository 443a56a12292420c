import js from '@eslint/js';
import tseslint from 'typescript-eslint';

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
  {
    // The one place that reads the environment; everything else (tests and benchmarks too) goes through it.
    files: ['packages/env/src/index.ts'],
    rules: { 'no-restricted-properties': 'off' },
  },
);
