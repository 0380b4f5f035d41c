// Lint rules of the house (DESIGN.md): no floating promises anywhere, and
// workflow code stays deterministic — no Node built-ins, no I/O libraries,
// activities imported as types only.
import { builtinModules } from 'node:module';
import tseslint from 'typescript-eslint';

const nodeBuiltins = builtinModules.flatMap((name) => (name.startsWith('node:') ? [name] : [name, `node:${name}`, `${name}/*`]));

export default tseslint.config(
  { ignores: ['node_modules/**', '.tools/**', '.data/**', 'coverage/**'] },
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-misused-promises': 'error',
      // Fastify plugins and kysely providers are async by contract, awaited or not.
      '@typescript-eslint/require-await': 'off',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
    },
  },
  {
    files: ['workflows/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', {
        paths: nodeBuiltins.map((name) => ({ name, message: 'Workflow code runs in a deterministic sandbox: no Node built-ins.' })),
        patterns: [
          { group: ['@temporalio/client', '@temporalio/worker', '@temporalio/activity', '@temporalio/testing', '@temporalio/envconfig'],
            message: 'Workflows import only @temporalio/workflow and @temporalio/common.' },
          { group: ['pg', 'kysely', 'kysely/*', '@electric-sql/*', 'kysely-pglite-dialect', 'fastify', 'fastify-*', '@fastify/*', '@vonage/*', 'libphonenumber-js', 'libphonenumber-js/*'],
            message: 'No I/O libraries in workflow code: do it in an activity.' },
          { group: ['**/db/**', '**/api/**', '**/vonage/**', '**/workers/**', '**/scripts/**'],
            message: 'Workflows depend only on domain/ and activity types.' },
          { group: ['**/activities/**'], allowTypeImports: true,
            message: 'Import activities with `import type` and call them through proxyActivities.' },
        ],
      }],
      'no-restricted-globals': ['error',
        { name: 'process', message: 'No process access in workflow code.' },
        { name: 'setInterval', message: 'Use sleep() or condition() from @temporalio/workflow.' },
      ],
    },
  },
  {
    // Tests read untyped JSON bodies all the time; asserting on them is the point.
    files: ['test/**/*.ts'],
    rules: {
      '@typescript-eslint/no-unsafe-member-access': 'off',
      '@typescript-eslint/no-unsafe-assignment': 'off',
      '@typescript-eslint/no-unsafe-argument': 'off',
      '@typescript-eslint/no-unsafe-call': 'off',
      '@typescript-eslint/no-unsafe-return': 'off',
    },
  },
  {
    files: ['eslint.config.js'],
    extends: [tseslint.configs.disableTypeChecked],
  },
);
