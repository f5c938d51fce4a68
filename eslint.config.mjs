// Lint rules, including the layering rules of the monorepo (see README "Architecture"):
// apps never import each other, libs never import apps, the domain never imports infrastructure, the platform
// libs import no bounded context, and a lib is used by others only through its public surface.
import eslint from '@eslint/js';
import prettier from 'eslint-config-prettier';
import globals from 'globals';
import tseslint from 'typescript-eslint';

const restrict = (patterns) => ['error', { patterns }];

/** Libraries that serve every context and know none (README "Architecture"). */
const PLATFORM_LIBS = ['config', 'database', 'events', 'jobs', 'mail', 'observability'];
/** The bounded contexts; each is used by others only through its public surface (index.ts). */
const CONTEXTS = ['users', 'notifications'];
const NO_APPS = { group: ['**/apps/**', 'apps/*'], message: 'libs never import apps' };
const NO_DEEP_IMPORTS = {
  group: ['@herald/*/src/**', '**/libs/*/src/**', ...CONTEXTS.map((context) => `../../${context}/**`), '../../../libs/**'],
  message: 'import another lib through its public surface (@herald/<lib>), never its internals',
};

export default tseslint.config(
  { ignores: ['dist/', 'node_modules/', 'coverage/', 'var/', 'bench/results/', 'test/artifacts/', 'test/support/api-client/schema.d.ts'] },
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
    // A context's tests (libs/<context>/test) prove it as the apps run it: they may start apps and read other contexts.
    ignores: ['libs/*/test/**'],
    rules: { 'no-restricted-imports': restrict([NO_APPS, NO_DEEP_IMPORTS]) },
  },
  {
    // The platform knows no bounded context: contexts declare, the platform discovers.
    files: PLATFORM_LIBS.map((lib) => `libs/${lib}/**/*.ts`),
    ignores: ['libs/*/test/**'],
    rules: {
      'no-restricted-imports': restrict([
        NO_APPS,
        NO_DEEP_IMPORTS,
        {
          group: [
            ...CONTEXTS.map((context) => `@herald/${context}`),
            '@herald/contexts',
            ...CONTEXTS.map((context) => `**/${context}/src/**`),
          ],
          message: 'a platform lib never imports a bounded context',
        },
      ]),
    },
  },
  {
    // The users context knows nothing of email: notifications react to its events.
    files: ['libs/users/**/*.ts'],
    ignores: ['libs/users/test/**'],
    rules: {
      'no-restricted-imports': restrict([
        NO_APPS,
        NO_DEEP_IMPORTS,
        { group: ['@herald/notifications', '@herald/mail', '@herald/contexts'], message: 'users knows nothing of email or other contexts' },
      ]),
    },
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
    files: ['**/*.spec.ts', 'test/**/*.ts', 'libs/*/test/**/*.ts'],
    rules: { '@typescript-eslint/no-explicit-any': 'off', '@typescript-eslint/no-non-null-assertion': 'off' },
  },
);
