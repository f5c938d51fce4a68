// Lint rules, including the layering rules of the monorepo (see README "Architecture"):
// apps never import each other, libs never import apps, the domain never imports infrastructure.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'var/', 'bench/results/', 'test/artifacts/'] },
  eslint.configs.recommended,
  ...tseslint.configs.recommended,
  prettier,
  {
    languageOptions: { globals: globals.node },
    rules: {
      '@typescript-eslint/no-unused-vars': ['error', { argsIgnorePattern: '^_', varsIgnorePattern: '^_' }],
      // No consistent-type-imports: Nest's DI reads constructor parameter types at run time
      // (emitDecoratorMetadata); turning those imports into `import type` would break injection.
    },
  },
  {
    files: ['libs/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/apps/**', 'apps/*'], message: 'libs never import apps' }]) },
  },
  {
    files: ['apps/api/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/worker/**', '**/cli/**'], message: 'apps never import each other' }]) },
  },
  {
    files: ['apps/worker/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/api/**', '**/cli/**'], message: 'apps never import each other' }]) },
  },
  {
    files: ['apps/cli/**/*.ts'],
    rules: { 'no-restricted-imports': restrict([{ group: ['**/api/**', '**/worker/**'], message: 'apps never import each other' }]) },
  },
  {
    files: ['libs/*/src/domain/**/*.ts'],
    ignores: ['**/*.spec.ts'],
    rules: {
      'no-restricted-imports': restrict([
        {
          group: ['typeorm', 'bullmq', 'ioredis', 'pg', 'nodemailer', '@nestjs/typeorm', '@nestjs/bullmq', '**/infrastructure/**'],
          message: 'the domain never imports infrastructure',
        },
      ]),
    },
  },
  {
    files: ['**/*.spec.ts', 'test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
