import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@herald/database';
import { EVENT_ENTITIES } from '@herald/events';
import { AccountRequestRecord, EmailVerificationTokenRecord, PasswordResetTokenRecord, UserRecord } from '@herald/users';
import { MIGRATIONS } from '../../apps/cli/src/table-owners.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testConfig } from '../support/test-config.js';

describe('Database schema', () => {
  let db: TestDatabase;
  let dataSource: DataSource;

  beforeAll(async () => {
    db = await createTestDatabase(); // a clone of the migrated template
    dataSource = new DataSource({
      ...dataSourceOptions(testConfig(db.url, 'schema-test')),
      migrations: MIGRATIONS,
      entities: [UserRecord, EmailVerificationTokenRecord, PasswordResetTokenRecord, AccountRequestRecord, ...EVENT_ENTITIES],
    });
    await dataSource.initialize();
  });

  afterAll(async () => {
    await dataSource.destroy();
    await db.drop();
  });

  it('has no migration missing: generating one from the entities yields nothing', async () => {
    const pending = await dataSource.driver.createSchemaBuilder().log();
    expect(pending.upQueries.map((query) => query.query)).toEqual([]);
  });

  it('has every migration applied and none pending', async () => {
    expect(await dataSource.showMigrations()).toBe(false);
  });

  it('can roll every migration back and apply it again', async () => {
    for (let i = 0; i < dataSource.migrations.length; i++) await dataSource.undoLastMigration();
    expect(
      await db.query(`SELECT table_name FROM information_schema.tables WHERE table_schema = 'public' AND table_name <> 'migrations'`),
    ).toEqual([]);
    await dataSource.runMigrations();
    expect((await dataSource.driver.createSchemaBuilder().log()).upQueries).toEqual([]);
  });

  it('keys the email inbox records of earlier versions by reaction instead of job name', async () => {
    const registered = '01938a8e-7c00-7000-8000-0000000000a1';
    const requested = '01938a8e-7c00-7000-8000-0000000000a2';
    for (const [id, type] of [
      [registered, 'users.UserRegistered'],
      [requested, 'users.VerificationEmailRequested'],
    ]) {
      await db.query(
        `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status)
         VALUES ($1, $2, 1, $1, '{}', 'c', now(), now(), 'dispatched')`,
        [id, type],
      );
      await db.query(`INSERT INTO inbox (consumer, event_id, status) VALUES ('send-verification-email', $1, 'done')`, [id]);
    }
    const migration = MIGRATIONS.find((candidate) => candidate.name === 'InboxConsumerIsReaction1795940000000')!;
    const queryRunner = dataSource.createQueryRunner();
    try {
      await new migration().up(queryRunner);
    } finally {
      await queryRunner.release();
    }
    expect(await db.query('SELECT consumer, event_id FROM inbox ORDER BY event_id')).toEqual([
      { consumer: 'verification-email-on-registration', event_id: registered },
      { consumer: 'verification-email-on-request', event_id: requested },
    ]);
    await db.query('DELETE FROM inbox');
    await db.query('DELETE FROM outbox');
  });

  it("fills the users' open requests from the outbox, so requests in flight at the upgrade still get their link", async () => {
    const user = (n: number) => `01938a8e-7c00-7000-8000-00000000b00${n}`;
    const event = (n: number) => `01938a8e-7c00-7000-8000-0000000e000${n}`;
    const migration = MIGRATIONS.find((candidate) => candidate.name === 'AccountRequests1796526149813')!;
    const queryRunner = dataSource.createQueryRunner();
    try {
      await new migration().down(queryRunner);
      // 1: unverified, registered then asked again; 2: verified; 3: asked for a reset, then changed the password;
      // 4: changed the password, then asked for a reset (twice).
      for (const [n, verified] of [
        [1, false],
        [2, true],
        [3, true],
        [4, true],
      ] as const) {
        await db.query(`INSERT INTO users (id, email, password_hash, email_verified_at) VALUES ($1, $2, 'x', $3)`, [
          user(n),
          `migrated-${n}@example.com`,
          verified ? new Date() : null,
        ]);
      }
      const events: [number, number, string][] = [
        [1, 1, 'users.UserRegistered'],
        [2, 1, 'users.VerificationEmailRequested'],
        [3, 2, 'users.UserRegistered'],
        [4, 3, 'users.PasswordResetRequested'],
        [5, 3, 'users.PasswordChanged'],
        [6, 4, 'users.PasswordChanged'],
        [7, 4, 'users.PasswordResetRequested'],
        [8, 4, 'users.PasswordResetRequested'],
      ];
      for (const [n, u, type] of events) {
        await db.query(
          `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status)
           VALUES ($1, $2, 1, $3, '{}', 'c', now(), now(), 'dispatched')`,
          [event(n), type, user(u)],
        );
      }
      await new migration().up(queryRunner);
    } finally {
      await queryRunner.release();
    }
    expect(await db.query('SELECT id, open_verification_request, open_password_reset_request FROM users ORDER BY id')).toEqual([
      { id: user(1), open_verification_request: event(2), open_password_reset_request: null },
      { id: user(2), open_verification_request: null, open_password_reset_request: null },
      { id: user(3), open_verification_request: null, open_password_reset_request: null },
      { id: user(4), open_verification_request: null, open_password_reset_request: event(8) },
    ]);
    await db.query('DELETE FROM outbox');
    await db.query('DELETE FROM users');
  });
});
