// @ts-check
import { builtinModules } from 'node:module';
import js from '@eslint/js';
import { createNodeResolver, importX } from 'eslint-plugin-import-x';
import tseslint from 'typescript-eslint';

// What workflow code may not import: it runs in Temporal's deterministic sandbox, and the
// workflow bundle build (scripts/build-workflow-bundle.ts) is the backstop for transitive imports.
const sandboxForbidden = {
  patterns: [
    { group: ['node:*'], message: 'Node built-ins are not available in the workflow sandbox.' },
    {
      group: ['@temporalio/activity', '@temporalio/worker', '@temporalio/client', '@temporalio/testing'],
      message: 'Workflows import only @temporalio/workflow and @temporalio/common.',
      allowTypeImports: true,
    },
    { group: ['avsc', '@aws-sdk/*', '@elastic/*'], message: 'No I/O libraries in workflow code.' },
    {
      group: ['**/activities', '**/activities/**', '**/workers/**', '**/cli/**', '**/storage/**', '**/schemas/**'],
      message: 'Workflows may only `import type` from activities; Node-side modules are off limits.',
      allowTypeImports: true,
    },
  ],
  // Every built-in the running Node has, so a new one (or one nobody thought of) is covered too.
  paths: builtinModules
    .filter((name) => !name.startsWith('node:'))
    .map((name) => ({ name, message: 'Node built-ins are not available in the workflow sandbox.' })),
};

// Pure folders take dates and config as arguments.
const pureForbidden = {
  patterns: [
    { group: ['node:*'], message: 'Pure modules do no I/O.', allowTypeImports: true },
    {
      // @temporalio/common is deterministic and sandbox-safe (search attribute keys, failure types).
      group: [
        '@temporalio/activity',
        '@temporalio/worker',
        '@temporalio/client',
        '@temporalio/testing',
        'avsc',
        '@aws-sdk/*',
        '@elastic/*',
      ],
      message: 'Pure modules do no I/O.',
      allowTypeImports: true,
    },
  ],
};

export default tseslint.config(
  { ignores: ['dist/**', 'node_modules/**', '.daybreak/**'] },
  js.configs.recommended,
  ...tseslint.configs.recommendedTypeChecked,
  {
    languageOptions: { parserOptions: { projectService: true, tsconfigRootDir: import.meta.dirname } },
    rules: {
      '@typescript-eslint/consistent-type-imports': 'error',
      '@typescript-eslint/no-floating-promises': 'error',
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_' }],
      '@typescript-eslint/restrict-template-expressions': ['error', { allowNumber: true, allowBoolean: true }],
      'no-console': 'error',
    },
  },
  {
    // A cycle makes load order decide what a module sees (undefined at import time); type-only
    // imports are erased and do not count. The node resolver with TypeScript's extensions is
    // enough: no path aliases (tsconfig.json).
    plugins: { 'import-x': importX },
    settings: {
      'import-x/extensions': ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs'],
      'import-x/parsers': { '@typescript-eslint/parser': ['.ts', '.mts', '.cts'] },
      'import-x/resolver-next': [
        createNodeResolver({ extensions: ['.ts', '.mts', '.cts', '.js', '.mjs', '.cjs', '.json', '.node'] }),
      ],
    },
    rules: { 'import-x/no-cycle': ['error', { ignoreExternal: true }] },
  },
  { files: ['**/*.mjs'], ...tseslint.configs.disableTypeChecked },
  { files: ['src/workflows/**/*.ts'], rules: { 'no-restricted-imports': ['error', sandboxForbidden] } },
  {
    files: ['src/common/**/*.ts', 'src/metrics/**/*.ts', 'src/compare/**/*.ts'],
    rules: {
      'no-restricted-imports': ['error', pureForbidden],
      'no-restricted-syntax': [
        'error',
        {
          selector: "MemberExpression[object.name='process'][property.name='env']",
          message: 'Pure modules take config as arguments.',
        },
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Pure modules take the time as an argument.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Pure modules take the time as an argument.',
        },
      ],
    },
  },
  {
    files: ['src/workflows/**/*.ts'],
    rules: {
      'no-restricted-syntax': [
        'error',
        {
          selector: "CallExpression[callee.object.name='Date'][callee.property.name='now']",
          message: 'Business dates come from inputs or the scheduled time.',
        },
        {
          selector: "NewExpression[callee.name='Date'][arguments.length=0]",
          message: 'Business dates come from inputs or the scheduled time.',
        },
      ],
    },
  },
  { files: ['src/cli/**/*.ts', 'scripts/**/*.ts', 'bench/**/*.ts', 'test/**/*.ts'], rules: { 'no-console': 'off' } },
);
