import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { deliveryJobId, OutboxStatus } from '@herald/events';
import { Metrics } from '@herald/observability';
// The lib's own statement, checked against the planner here (not its public surface).
import { MARK_DISPATCHED_SQL } from '../src/outbox/outbox-marks.js';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../../../test/support/pipeline-harness.js';
import { waitFor } from '../../../test/support/wait-for.js';

const MARKS_APPLICATION = 'herald-outbox-marks';
const thing = () => ThingHappened.create(randomUUID(), { label: 'ok' });
const reactions = ['test-ship-on-thing', 'test-audit-on-thing'];

describe('Outbox marks (real Postgres + Redis)', () => {
  let h: PipelineHarness;
  const published: string[] = [];

  afterEach(async () => {
    await h.close();
  });

  async function start(env: Record<string, string> = {}) {
    h = await createPipelineHarness({ env });
    published.length = 0;
    h.eventBus.subscribe((event) => published.push((event as ThingHappened).eventId));
  }

  const statusOf = async (events: ThingHappened[]) =>
    (
      await h.db.query<{ status: string }>(`SELECT status FROM outbox WHERE id = ANY($1::uuid[]) ORDER BY id`, [
        events.map((event) => event.eventId),
      ])
    ).map((row) => row.status);
  const jobIdsOf = async () =>
    (await h.thingQueue.getJobs(['waiting', 'delayed', 'active', 'completed', 'failed'])).map((job) => job.id).sort();
  const jobIdsFor = (events: ThingHappened[]) =>
    events.flatMap((event) => reactions.map((name) => deliveryJobId(name, event.eventId))).sort();
  const lostMarks = async () =>
    Number(/herald_outbox_marks_lost_total\{reason="update_failed"\} (\d+)/.exec((await h.module.get(Metrics).render()).body)?.[1] ?? 0);

  it('marks rows on a connection of its own: while the app pool’s only connection is held, a committed row is still marked', async () => {
    await start({ DATABASE_POOL_SIZE: '1' });
    const event = thing();
    await h.uow.run(() => h.uow.record([event]));
    let release!: () => void;
    const holding = h.uow.run(async () => {
      await h.uow.manager.query('SELECT 1');
      await new Promise<void>((resolve) => (release = resolve));
    });
    try {
      await waitFor('the row to be marked dispatched while the pool is held', async () => (await statusOf([event]))[0] === 'dispatched');
      const marksConnections = await h.db.query<{ query: string }>(
        `SELECT query FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
        [MARKS_APPLICATION],
      );
      expect(marksConnections).toEqual([{ query: expect.stringMatching(/^UPDATE outbox o/) }]);
    } finally {
      await waitFor('the holding transaction to start', () => release !== undefined);
      release();
      await holding;
    }
    await h.postCommit.drain();
    expect(published).toEqual([event.eventId]);
  });

  it('while Postgres refuses the marks, enqueues each job once and leaves the rows to the relay, which delivers them again without a second job', async () => {
    await start();
    // Postgres itself refuses the marks' UPDATE (and nothing else): a fault of the marks alone.
    await h.db.query(`
      CREATE FUNCTION refuse_marks() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF current_setting('application_name') = '${MARKS_APPLICATION}' THEN RAISE EXCEPTION 'marks refused by the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER refuse_marks BEFORE UPDATE ON outbox FOR EACH ROW EXECUTE FUNCTION refuse_marks();`);
    const events = [thing(), thing(), thing()];
    await Promise.all(events.map((event) => h.uow.run(() => h.uow.record([event]))));
    await h.postCommit.drain();

    expect(await statusOf(events)).toEqual(['pending', 'pending', 'pending']);
    expect(await jobIdsOf()).toEqual(jobIdsFor(events));
    expect(await lostMarks()).toBe(3);
    expect(published).toEqual([]); // an unmarked event reaches the in-process handlers through the relay

    await h.db.query(`DROP TRIGGER refuse_marks ON outbox`);
    const run = await h.relay.runOnce();

    expect(run).toEqual({ claimed: 3, dispatched: 3, failed: 0, dead: 0 });
    expect(await statusOf(events)).toEqual(['dispatched', 'dispatched', 'dispatched']);
    expect(await jobIdsOf()).toEqual(jobIdsFor(events)); // the same jobs: the redelivery added none
    expect(published.sort()).toEqual(events.map((event) => event.eventId).sort());
  });

  it('opens a new connection after Postgres ended the last one (a restart), and marks again', async () => {
    await start();
    const before = thing();
    await h.uow.run(() => h.uow.record([before]));
    await h.postCommit.drain();
    expect(await statusOf([before])).toEqual(['dispatched']);

    const [{ ended }] = await h.db.query<{ ended: boolean }>(
      `SELECT bool_and(pg_terminate_backend(pid)) AS ended FROM pg_stat_activity WHERE datname = current_database() AND application_name = $1`,
      [MARKS_APPLICATION],
    );
    expect(ended).toBe(true);
    // A mark sent before the client noticed may be lost (the relay's to deliver); the next ones land.
    const during = thing();
    await h.uow.run(() => h.uow.record([during]));
    await h.postCommit.drain();
    const after = thing();
    await h.uow.run(() => h.uow.record([after]));
    await h.postCommit.drain();

    expect(await statusOf([after])).toEqual(['dispatched']);
  });

  it('finds the rows by primary key even when stale statistics make the pending index look empty', async () => {
    await start();
    await h.db.query(`ALTER TABLE outbox SET (autovacuum_enabled = false)`);
    const insertRows = (count: number, status: string) =>
      h.db.query(
        `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, status, available_at, dispatched_at)
         SELECT gen_random_uuid(), 'test.ThingHappened', 1, gen_random_uuid(), '{}', 'c', now(), $2::varchar, now(), CASE WHEN $2::varchar = 'dispatched' THEN now() END
         FROM generate_series(1, $1::int)`,
        [count, status],
      );
    // Statistics taken while every row was dispatched; then thousands of pending rows the planner does not know of.
    await insertRows(2000, OutboxStatus.Dispatched);
    await h.db.query(`ANALYZE outbox`);
    await insertRows(3000, OutboxStatus.Pending);
    await insertRows(20_000, OutboxStatus.Dispatched);
    const ids = (await h.db.query<{ id: string }>(`SELECT id FROM outbox WHERE status = 'pending' ORDER BY random() LIMIT 32`)).map(
      (row) => row.id,
    );

    // EXPLAIN ANALYZE runs the UPDATE: in a transaction rolled back afterwards.
    const client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
    let plan: PlanNode;
    try {
      await client.query('BEGIN');
      const explained = await client.query<{ 'QUERY PLAN': [{ Plan: PlanNode }] }>(
        `EXPLAIN (ANALYZE, BUFFERS, FORMAT JSON) ${MARK_DISPATCHED_SQL}`,
        [ids],
      );
      plan = explained.rows[0]!['QUERY PLAN'][0].Plan;
    } finally {
      await client.query('ROLLBACK');
      await client.end();
    }

    // One scan of the outbox, through its primary key, reading the 32 rows and no others.
    const scans = nodesOf(plan).filter((node) => node['Relation Name'] === 'outbox' && node['Node Type'] !== 'ModifyTable');
    expect(scans.map((node) => [node['Node Type'], node['Index Name']])).toEqual([['Index Scan', expect.stringMatching(/^PK_/)]]);
    expect(scans[0]!['Actual Rows']! * scans[0]!['Actual Loops']!).toBe(32);
  });
});

interface PlanNode {
  'Node Type': string;
  'Relation Name'?: string;
  'Index Name'?: string;
  'Actual Rows'?: number;
  'Actual Loops'?: number;
  Plans?: PlanNode[];
}

const nodesOf = (node: PlanNode): PlanNode[] => [node, ...(node.Plans ?? []).flatMap(nodesOf)];
