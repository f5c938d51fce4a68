import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runCli } from '../support/app-process.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';

// migration:generate as a developer runs it (the BUILT CLI): it writes into the migrations folder of the lib
// that owns the changed tables. It runs in a scratch directory shaped like the repository, so the files it
// writes never land in the real migrations folders (which a unit test lists).

const OWNERS = ['events', 'notifications', 'users'];

describe('migration:generate (built CLI, real Postgres)', () => {
  let db: TestDatabase;
  let root: string;

  const generate = (args: string[]) => runCli(['migration:generate', ...args], { DATABASE_URL: db.url }, { cwd: root });
  const written = (lib: string) => readdirSync(join(root, 'libs', lib, 'src', 'migrations'));

  beforeAll(async () => {
    db = await createTestDatabase(); // a clone of the migrated template
    root = mkdtempSync(join(tmpdir(), 'herald-migrations-'));
    for (const lib of OWNERS) mkdirSync(join(root, 'libs', lib, 'src', 'migrations'), { recursive: true });
  });

  afterAll(async () => {
    rmSync(root, { recursive: true, force: true });
    await db?.drop();
  });

  it('writes nothing when the entities match the migrated database', async () => {
    const check = await generate(['--check']);
    expect(check).toMatchObject({ code: 0, stdout: 'No changes: the database schema matches the entities.\n' });
    expect((await generate(['AddNothing', '--in', 'users'])).code).toBe(0);
    expect(OWNERS.flatMap(written)).toEqual([]);
  });

  it('refuses to guess where a migration goes: the owning lib must be named, and be one', async () => {
    const unnamed = await generate(['AddUserLocale']);
    expect(unnamed.code).toBe(2);
    expect(unnamed.stderr).toContain('the lib that owns the changed tables (e.g. AddUserLocale --in users)');
    const unknown = await generate(['AddUserLocale', '--in', 'database']);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain('"database" owns no tables; the owners are events, users, notifications');
  });

  it("writes a missing change into the owner's folder and says where to list it", async () => {
    await db.query('ALTER TABLE outbox DROP COLUMN traceparent');

    expect((await generate(['--check'])).code).toBe(1);
    const result = await generate(['RestoreTraceparent', '--in', 'events']);

    expect(result.code).toBe(0);
    const [file, ...others] = written('events');
    expect(others).toEqual([]);
    expect(file).toMatch(/^\d{13}-restore-traceparent\.ts$/);
    expect(result.stdout).toContain(`Wrote libs/events/src/migrations/${file}`);
    expect(result.stdout).toContain('to libs/events/src/migrations/index.ts');
    expect(readFileSync(join(root, 'libs/events/src/migrations', file!), 'utf8')).toContain('ALTER TABLE "outbox" ADD "traceparent"');
    expect([...written('users'), ...written('notifications')]).toEqual([]);
  });
});
