// Test tiers (see README "Tests"):
//   unit         *.spec.ts next to the code: pure, fakes allowed, no services
//   integration  test/integration, and libs/<context>/test beside the context they prove: real Postgres + Redis
//                (+ in-process SMTP)
//   e2e          test/e2e: the built API and worker as real processes
//   fault        test/fault: processes killed and restarted on purpose
//   privacy      test/privacy: the whole account story in production mode, every span, log line, Redis value and
//                metric label scanned for its secrets and addresses (the scanner's own tests are unit tests)
const aliases = Object.fromEntries(
  ['config', 'contexts', 'database', 'events', 'jobs', 'mail', 'notifications', 'observability', 'users'].map((lib) => [
    `^@herald/${lib}$`,
    `<rootDir>/libs/${lib}/src/index.ts`,
  ]),
);

const base = {
  rootDir: '.',
  testEnvironment: 'node',
  extensionsToTreatAsEsm: ['.ts'],
  moduleNameMapper: { ...aliases, '^(\\.{1,2}/.*)\\.js$': '$1' },
  transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: '<rootDir>/tsconfig.spec.json' }] },
  setupFiles: ['<rootDir>/test/support/setup-env.ts'],
  // npm run test:watch: build output (npm run start:dev compiles into dist/dev as you save), mail and artifacts are no reason to re-run.
  watchPathIgnorePatterns: [
    '<rootDir>/dist/',
    '<rootDir>/var/',
    '<rootDir>/coverage/',
    '<rootDir>/test/artifacts/',
    '<rootDir>/bench/results/',
  ],
};

export default {
  projects: [
    {
      ...base,
      displayName: 'unit',
      testMatch: ['<rootDir>/{apps,libs}/**/*.spec.ts', '<rootDir>/test/deploy/*.spec.ts', '<rootDir>/test/privacy/*.spec.ts'],
    },
    {
      ...base,
      displayName: 'integration',
      // Several of these run the built CLI as a process (ops-cli, outbox-replay, runbooks, schematics).
      setupFilesAfterEnv: ['<rootDir>/test/support/process-tier-timeout.ts'],
      testMatch: ['<rootDir>/test/integration/**/*.int-spec.ts', '<rootDir>/libs/*/test/**/*.int-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
    {
      ...base,
      displayName: 'e2e',
      // A longer bound per test and hook: these start the apps as processes (test/support/process-tier-timeout.ts).
      setupFilesAfterEnv: ['<rootDir>/test/support/process-tier-timeout.ts'],
      testMatch: ['<rootDir>/test/e2e/**/*.e2e-spec.ts', '<rootDir>/test/fault/**/*.fault-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
    {
      ...base,
      displayName: 'privacy',
      // A longer bound per test and hook: these start the apps as processes (test/support/process-tier-timeout.ts).
      setupFilesAfterEnv: ['<rootDir>/test/support/process-tier-timeout.ts'],
      testMatch: ['<rootDir>/test/privacy/**/*.privacy-spec.ts'],
      globalSetup: '<rootDir>/test/support/global-setup.mjs',
      globalTeardown: '<rootDir>/test/support/global-teardown.mjs',
    },
  ],
  testTimeout: 60_000,
  maxWorkers: 2,
};
