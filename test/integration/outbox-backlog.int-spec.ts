import { jest } from '@jest/globals';
import { DataSource } from 'typeorm';
import { dataSourceOptions } from '@herald/database';
import { BACKLOG_COUNTED_UP_TO, OutboxQueries } from '@herald/events';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testConfig } from '../support/test-config.js';

/** `count` outbox rows in `status`, created `ageMinutes` ago (one statement, however many). */
async function insertRows(db: TestDatabase, count: number, status: 'pending' | 'dispatched' | 'dead', ageMinutes = 0): Promise<void> {
  await db.query(
    `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at, available_at, status,
                         dispatched_at)
     SELECT gen_random_uuid(), 'ThingHappened', 1, gen_random_uuid(), '{}', 'backlog-test', t, t, t, $2::varchar,
            CASE WHEN $2::varchar = 'dispatched' THEN t END
     FROM generate_series(1, $1) AS n, LATERAL (SELECT now() - make_interval(mins => $3::int)) AS at(t)`,
    [count, status, ageMinutes],
  );
}

describe('OutboxQueries.backlog (the gauges read it on every metrics scrape)', () => {
  let db: TestDatabase;
  let dataSource: DataSource;
  let store: OutboxQueries;

  beforeEach(async () => {
    db = await createTestDatabase();
    dataSource = new DataSource(dataSourceOptions(testConfig(db.url, 'backlog-test')));
    await dataSource.initialize();
    store = new OutboxQueries(dataSource);
  });

  afterEach(async () => {
    await dataSource?.destroy();
    await db?.drop();
  });

  it('reads an empty outbox as nothing pending, nothing dead, no age', async () => {
    expect(await store.backlog()).toEqual({ pending: 0, dead: 0, exact: true, oldestPendingAgeMs: null });
  });

  it('counts pending and dead rows exactly, leaves dispatched rows out, and ages the oldest pending row', async () => {
    await insertRows(db, 3, 'pending', 1);
    await insertRows(db, 1, 'pending', 90);
    await insertRows(db, 2, 'dead', 300); // older than every pending row: not the pending age
    await insertRows(db, 50, 'dispatched', 600);

    const backlog = await store.backlog();

    expect(backlog).toMatchObject({ pending: 4, dead: 2, exact: true });
    expect(backlog.oldestPendingAgeMs).toBeGreaterThanOrEqual(90 * 60_000);
    expect(backlog.oldestPendingAgeMs).toBeLessThan(91 * 60_000);
  });

  it('stops counting at the cap and reports Postgres estimate beyond it, never less than the cap', async () => {
    const pending = BACKLOG_COUNTED_UP_TO + 5000;
    await insertRows(db, pending, 'pending');
    await insertRows(db, 7, 'dead');

    // Before the statistics know the rows: the cap, flagged as not exact.
    const unknown = await store.backlog();
    expect(unknown).toMatchObject({ pending: BACKLOG_COUNTED_UP_TO, dead: 7, exact: false });

    await db.query('VACUUM (ANALYZE) outbox'); // what autovacuum does after a burst of inserts
    const estimated = await store.backlog();
    expect(estimated.exact).toBe(false);
    expect(estimated.dead).toBe(7);
    expect(estimated.pending).toBeGreaterThan(pending * 0.9);
    expect(estimated.pending).toBeLessThan(pending * 1.1);
  });

  it('reads every figure through a partial index, not by scanning the outbox', async () => {
    await insertRows(db, 20_000, 'pending');
    await insertRows(db, 100_000, 'dispatched');
    await db.query('VACUUM (ANALYZE) outbox');
    const query = jest.spyOn(dataSource, 'query');
    await store.backlog();
    const [sql, params] = query.mock.calls[0] as [string, unknown[]];

    const plan = (await db.query<{ 'QUERY PLAN': string }>(`EXPLAIN ${sql}`, params)).map((row) => row['QUERY PLAN']).join('\n');

    expect(plan).not.toMatch(/Seq Scan on outbox/);
    expect(plan).toMatch(/Index (Only )?Scan using outbox_pending_created_at_idx/); // the oldest: the first entry
    expect(plan).not.toContain('Sort');
  });
});
