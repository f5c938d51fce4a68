import type { TestDatabase } from './test-database.js';

/** How many rows of each kind to seed, all older than any retention (400 days). */
export interface PrunableRows {
  readonly outbox: number;
  readonly inbox: number;
  readonly verificationTokens: number;
  readonly resetTokens: number;
  /** Account requests the worker never resolved. */
  readonly accountRequests: number;
}

const AGE = `now() - interval '400 days'`;

/**
 * Rows every retention prunes, inserted quickly with generate_series:
 * dispatched outbox rows, done inbox records, spent tokens of one user, and
 * unresolved account requests.
 */
export async function seedPrunableRows(db: TestDatabase, rows: PrunableRows): Promise<void> {
  await db.query(
    `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at, available_at, status, dispatched_at)
     SELECT gen_random_uuid(), 'users.UserRegistered', 1, gen_random_uuid(), '{}', 'seed', ${AGE}, ${AGE}, ${AGE}, 'dispatched', ${AGE}
     FROM generate_series(1, $1)`,
    [rows.outbox],
  );
  await db.query(
    `INSERT INTO inbox (consumer, event_id, status, claimed_at, completed_at)
     SELECT 'seed-reaction', gen_random_uuid(), 'done', ${AGE}, ${AGE} FROM generate_series(1, $1)`,
    [rows.inbox],
  );
  const [user] = await db.query<{ id: string }>(
    `INSERT INTO users (id, email, password_hash) VALUES (gen_random_uuid(), 'seeded-' || gen_random_uuid() || '@example.com', 'x') RETURNING id`,
  );
  for (const [table, count] of [
    ['email_verification_tokens', rows.verificationTokens],
    ['password_reset_tokens', rows.resetTokens],
  ] as const) {
    await db.query(
      `INSERT INTO ${table} (selector, user_id, verifier_hash, expires_at, used_at, created_at)
       SELECT 'seed' || lpad(i::text, 28, '0'), $1, md5(i::text), ${AGE}, CASE WHEN i % 2 = 0 THEN ${AGE} END, ${AGE}
       FROM generate_series(1, $2) AS i`,
      [user!.id, count],
    );
  }
  await db.query(
    `INSERT INTO account_requests (id, kind, email, created_at)
     SELECT gen_random_uuid(), 'password-reset', 'seeded-' || i || '@example.com', ${AGE} FROM generate_series(1, $1) AS i`,
    [rows.accountRequests],
  );
  // Fresh statistics, as autovacuum would have them: the planner then uses the retention indexes.
  await db.query(`ANALYZE outbox, inbox, email_verification_tokens, password_reset_tokens, account_requests`);
}

/** Rows older than `hours` that the retention of each table would prune (what must be 0 after a pass). */
export async function prunableLeft(db: TestDatabase, hours: number): Promise<Record<string, number>> {
  const [row] = await db.query<Record<string, number>>(
    `SELECT
       (SELECT count(*) FROM outbox WHERE status = 'dispatched' AND dispatched_at < now() - make_interval(hours => $1))::int AS outbox,
       (SELECT count(*) FROM inbox WHERE status = 'done' AND completed_at < now() - make_interval(hours => $1))::int AS inbox,
       (SELECT count(*) FROM email_verification_tokens WHERE LEAST(used_at, revoked_at, expires_at) < now() - make_interval(hours => $1))::int
         AS email_verification_tokens,
       (SELECT count(*) FROM password_reset_tokens WHERE LEAST(used_at, revoked_at, expires_at) < now() - make_interval(hours => $1))::int
         AS password_reset_tokens,
       (SELECT count(*) FROM account_requests WHERE created_at < now() - make_interval(hours => $1))::int AS account_requests`,
    [hours],
  );
  return row!;
}
