import { execFile } from 'node:child_process';
import { cpSync, mkdtempSync, readFileSync, rmSync, symlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';

/**
 * herald's Nest CLI schematics (schematics/, README "Generating a context, an event or a reaction"), run the way a
 * developer runs them, with the Nest CLI, on a copy of the project: what they write must compile, lint and pass
 * its own tests, and be found where the platform and the apps look. Needs no service: it is slow (tsc, ESLint and
 * Jest on a whole project), so it runs with the integration tier rather than with the quick unit tests.
 */
const run = promisify(execFile);
const STEP_MS = 300_000;

/** What the project is made of, without build output, installed packages (linked instead) or local state. */
const COPIED = [
  'apps',
  'libs',
  'test',
  'bench',
  'scripts',
  'package.json',
  'tsconfig.json',
  'tsconfig.spec.json',
  'jest.config.mjs',
  'eslint.config.mjs',
  'nest-cli.json',
  '.prettierrc.json',
  '.prettierignore',
];
const NOT_COPIED = /(^|\/)(dist|node_modules|var|coverage|artifacts|results)(\/|$)/;

// One story, one command each: a new context with an event; an event of a context whose events are a list in
// their own file (users); a reaction of the new context to another context's event (its first job: a queue is
// written); a reaction of an existing context (notifications: its queue is reused) to the new context's event.
const COMMANDS = [
  ['-p', 'contexts', 'context', 'billing'],
  ['-p', 'billing', 'event', 'InvoiceIssued'],
  ['-p', 'users', 'event', 'users', 'UserDeleted'],
  ['-p', 'billing', 'reaction', 'UserRegistered', 'open-account-on-registration'],
  ['-p', 'notifications', 'reaction', 'InvoiceIssued', 'invoice-email-on-issue'],
];

describe('Schematics: nest g -c @herald/schematics (on a copy of the project)', () => {
  let project: string;
  /** Every file a schematic created or changed, as the CLI reported it. */
  const touched = new Set<string>();
  const created = new Set<string>();

  // At a lower CPU priority: tsc, ESLint and Jest on a whole project must not starve the test files running beside
  // this one, whose waits are bounded.
  const node = (args: string[]) => run('nice', ['-n', '10', process.execPath, ...args], { cwd: project, maxBuffer: 16 * 1024 * 1024 });
  const nest = (args: string[]) => node(['node_modules/@nestjs/cli/bin/nest.js', 'g', '-c', '@herald/schematics', ...args]);
  const read = (path: string) => readFileSync(join(project, path), 'utf8');
  /** What a command that should be refused printed. The Nest CLI prints a schematic's error and exits 0 (today). */
  const refusal = async (args: string[]) => {
    const { stdout, stderr } = await nest(args).catch((error: { stdout: string; stderr: string }) => error);
    return `${stdout}${stderr}`;
  };

  beforeAll(async () => {
    project = mkdtempSync(join(tmpdir(), 'herald-schematics-'));
    for (const entry of COPIED) {
      cpSync(entry, join(project, entry), { recursive: true, filter: (source) => !NOT_COPIED.test(source) });
    }
    symlinkSync(join(process.cwd(), 'node_modules'), join(project, 'node_modules'), 'dir');
    for (const command of COMMANDS) {
      const { stdout } = await nest(command);
      for (const [, action, path] of stdout.matchAll(/^(CREATE|UPDATE) (\S+)/gm)) {
        touched.add(path!);
        if (action === 'CREATE') created.add(path!);
      }
    }
  }, STEP_MS);

  afterAll(() => {
    if (project) rmSync(project, { recursive: true, force: true });
  });

  it('writes each building block with its spec, where the README says', () => {
    expect([...created].sort()).toEqual([
      'libs/billing/src/billing-queue.ts',
      'libs/billing/src/billing.module.spec.ts',
      'libs/billing/src/billing.module.ts',
      'libs/billing/src/domain/events/invoice-issued.event.spec.ts',
      'libs/billing/src/domain/events/invoice-issued.event.ts',
      'libs/billing/src/index.ts',
      'libs/billing/src/reactions/open-account-on-registration.reaction.spec.ts',
      'libs/billing/src/reactions/open-account-on-registration.reaction.ts',
      'libs/billing/tsconfig.lib.json',
      'libs/notifications/src/reactions/invoice-email-on-issue.reaction.spec.ts',
      'libs/notifications/src/reactions/invoice-email-on-issue.reaction.ts',
      'libs/users/src/domain/events/user-deleted.event.spec.ts',
      'libs/users/src/domain/events/user-deleted.event.ts',
    ]);
  });

  it('registers a new context wherever the project names its contexts', () => {
    expect(read('libs/contexts/src/index.ts')).toMatch(/CONTEXT_MODULES = \[UsersModule, NotificationsModule, BillingModule\]/);
    expect(JSON.parse(read('nest-cli.json')).projects.billing).toMatchObject({ type: 'library', sourceRoot: 'libs/billing/src' });
    expect(JSON.parse(read('tsconfig.json')).compilerOptions.paths['@herald/billing']).toEqual(['./libs/billing/src/index.ts']);
    expect(read('jest.config.mjs')).toMatch(/'users', 'billing'\]/);
    expect(read('eslint.config.mjs')).toMatch(/const CONTEXTS = \['users', 'notifications', 'billing'\]/);
  });

  it("registers events with their context's @BoundedContext, and reactions as providers of its module", () => {
    expect(read('libs/billing/src/billing.module.ts')).toMatch(/events: \[InvoiceIssued\]/);
    expect(read('libs/billing/src/billing.module.ts')).toMatch(/providers: \[OpenAccountOnRegistration\]/);
    expect(read('libs/users/src/domain/events/user-events.ts')).toMatch(/PasswordChanged,\s+UserDeleted,?\s*\]/);
    expect(read('libs/notifications/src/notifications.module.ts')).toMatch(/providers: \[[^\]]*, InvoiceEmailOnIssue\]/);
    // The notifications context's one queue takes the new job; the new context got a queue of its own.
    expect(read('libs/notifications/src/reactions/invoice-email-on-issue.reaction.ts')).toMatch(/queue: EmailQueue/);
    expect(read('libs/billing/src/reactions/open-account-on-registration.reaction.ts')).toMatch(/queue: BillingQueue/);
  });

  it(
    'leaves a project that compiles (tsc --noEmit)',
    async () => {
      await expect(node(['node_modules/typescript/bin/tsc', '--noEmit', '-p', 'tsconfig.json'])).resolves.toBeDefined();
    },
    STEP_MS,
  );

  it(
    'writes files that pass the linter, layering rules included, and Prettier',
    async () => {
      const files = [...touched];
      const code = files.filter((path) => /\.(ts|mjs)$/.test(path));
      await expect(node(['node_modules/eslint/bin/eslint.js', '--max-warnings=0', ...code])).resolves.toBeDefined();
      await expect(node(['node_modules/prettier/bin/prettier.cjs', '--check', ...files])).resolves.toBeDefined();
    },
    STEP_MS,
  );

  it(
    'writes tests that pass',
    async () => {
      const specs = [...created].filter((path) => path.endsWith('.spec.ts'));
      const jest = ['--experimental-vm-modules', '--no-warnings=ExperimentalWarning', 'node_modules/jest/bin/jest.js'];
      const { stderr } = await node([...jest, '--selectProjects', 'unit', '--ci', '--maxWorkers=1', '--runTestsByPath', ...specs]);

      expect(stderr).toMatch(new RegExp(`Test Suites: ${specs.length} passed, ${specs.length} total`));
    },
    STEP_MS,
  );

  it(
    'refuses a project that is not a bounded context, naming those that are',
    async () => {
      const output = await refusal(['-p', 'api', 'reaction', 'UserRegistered', 'x-on-registration']);

      expect(output).toMatch(/"api" is not a bounded context; name one with -p: users, notifications, billing/);
      expect(output).not.toMatch(/^CREATE /m);
    },
    STEP_MS,
  );

  it(
    'refuses an event no context declares, naming those that exist',
    async () => {
      const output = await refusal(['-p', 'billing', 'reaction', 'InvoicePaid', 'x-on-payment']);

      expect(output).toMatch(/no event "invoice-paid"; the contexts declare: .*InvoiceIssued/);
      expect(output).not.toMatch(/^CREATE /m);
    },
    STEP_MS,
  );

  it(
    'refuses a reaction name that a reaction or job of any context uses already',
    async () => {
      const output = await refusal(['-p', 'billing', 'reaction', 'UserRegistered', 'verification-email-on-registration']);

      expect(output).toMatch(/"verification-email-on-registration" names a reaction or job already/);
      expect(output).not.toMatch(/^CREATE /m);
    },
    STEP_MS,
  );
});
