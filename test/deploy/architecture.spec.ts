import { ESLint } from 'eslint';

/** The lint messages of `code` as if it were in `filePath` (the project's own ESLint configuration). */
async function lint(filePath: string, code: string): Promise<string[]> {
  const [result] = await new ESLint().lintText(`${code}\nexport const used = [x];\n`, { filePath });
  return result!.messages.filter((message) => message.ruleId === 'no-restricted-imports').map((message) => message.message);
}

describe('Layering rules (ESLint)', () => {
  it.each([
    ['events', "import { UsersModule as x } from '@herald/users';"],
    ['jobs', "import { AccountEmails as x } from '@herald/notifications';"],
    ['mail', "import { CONTEXT_MODULES as x } from '@herald/contexts';"],
    ['observability', "import { User as x } from '../../users/src/domain/user.aggregate.js';"],
  ])('refuses a bounded context in the platform lib %s', async (lib, code) => {
    expect(await lint(`libs/${lib}/src/example.ts`, code)).toEqual(
      expect.arrayContaining([expect.stringMatching(/platform lib never imports a bounded context/)]),
    );
  });

  it("refuses one context reaching into another's internals", async () => {
    expect(
      await lint(
        'libs/notifications/src/example.ts',
        "import { UserRepository as x } from '../../users/src/infrastructure/user.repository.js';",
      ),
    ).toEqual([expect.stringMatching(/public surface/)]);
    expect(await lint('libs/notifications/src/example.ts', "import { x } from '@herald/users/src/domain/user.aggregate.js';")).toEqual([
      expect.stringMatching(/public surface/),
    ]);
  });

  it('lets a context use another through its public surface', async () => {
    expect(await lint('libs/notifications/src/example.ts', "import { UserRegistered as x } from '@herald/users';")).toEqual([]);
  });

  it('keeps email out of the users context', async () => {
    expect(await lint('libs/users/src/example.ts', "import { Mailer as x } from '@herald/mail';")).toEqual([
      expect.stringMatching(/users knows nothing of email/),
    ]);
  });

  it('refuses an app importing another app, and a lib importing an app', async () => {
    expect(await lint('apps/api/src/example.ts', "import { WorkerModule as x } from '../../worker/src/worker.module.js';")).toHaveLength(1);
    expect(await lint('libs/events/src/example.ts', "import { AppModule as x } from '../../../apps/api/src/app.module.js';")).toHaveLength(
      1,
    );
  });
});
