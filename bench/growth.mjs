// Scenario 6 of the bench (BENCH_ONLY=6): how cost grows with the work kept in the outbox.
// (a) The commit path (resend verification over HTTP, closed loop) with 0, 1 million and 5 million
// dispatched rows retained; (b) the relay's catch-up of 10,000, 100,000 and 1,000,000 pending rows.
// Each figure is set against the smallest size's, and the statements whose cost could grow with the
// table are EXPLAINed (ANALYZE, BUFFERS) — the very SQL the apps run, taken from the built outbox statements.
import { v7 as uuidv7 } from 'uuid';
import { closedLoop, percentiles, queueDrained, stats, sleep } from './lib.mjs';

const sizes = (name, fallback) =>
  (process.env[name] ?? fallback).split(',').map((value) => {
    const size = Number(value);
    if (!Number.isInteger(size) || size < 0) throw new Error(`${name}: "${value}" is not a whole number of rows`);
    return size;
  });

export const RETAINED_SIZES = sizes('BENCH_GROWTH_RETAINED', '0,1000000,5000000');
export const PENDING_SIZES = sizes('BENCH_GROWTH_PENDING', '10000,100000,1000000');
const GROWTH_RUNS = Number(process.env.BENCH_GROWTH_RUNS ?? 3);
/** Rows per INSERT while topping up the retained rows: one statement per million keeps each transaction bounded. */
const SEED_CHUNK = 1_000_000;
const RELAY_BATCH = 1000;
const RELAY_LEASE_MS = 30_000;

/** An SQL UUIDv7 (as the apps' ids: time-ordered) for the timestamp expression `ts`. */
const uuidv7Sql = (ts) =>
  `(lpad(to_hex((extract(epoch FROM ${ts}) * 1000)::bigint), 12, '0') || '7' || substr(md5(random()::text), 1, 3) || '8'
    || substr(md5(random()::text), 1, 15))::uuid`;

/**
 * The statements of libs/events/src/outbox (the unit of work's append, the dispatch's mark, the relay's
 * claim, the metrics' backlog), recorded from the built code against a stand-in data source, so the
 * plans below are those of the code that ships, not of a copy.
 */
async function outboxStatements() {
  const outbox = (file) => import(`../dist/apps/worker/libs/events/src/outbox/${file}.js`);
  const [{ appendToOutbox }, { OutboxMarks }, { RelayClaims }, { OutboxQueries }] = await Promise.all(
    ['outbox-append', 'outbox-marks', 'relay-claims', 'outbox-queries'].map(outbox),
  );
  const recorded = [];
  const recorder = {
    query: async (sql, params = []) => {
      recorded.push({ sql, params });
      return [[], 0];
    },
  };
  const take = async (call) => {
    recorded.length = 0;
    await call();
    return recorded[0];
  };
  return {
    append: (event, graceMs) => take(() => appendToOutbox(recorder, [event], graceMs)),
    markDispatched: (ids) => take(() => new OutboxMarks(recorder).markDispatched(ids)),
    claimDue: () => take(() => new RelayClaims(recorder).claimDue(RELAY_BATCH, RELAY_LEASE_MS)),
    backlog: () => take(() => new OutboxQueries(recorder).backlog()),
  };
}

/** EXPLAIN (ANALYZE, BUFFERS) of one statement in its own transaction, rolled back unless `commit`. */
async function explain(db, { sql, params }, { commit = false } = {}) {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    const { rows } = await client.query(`EXPLAIN (ANALYZE, BUFFERS) ${sql}`, params);
    await client.query(commit ? 'COMMIT' : 'ROLLBACK');
    return rows.map((row) => row['QUERY PLAN']);
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** The lines of a plan worth reading side by side: nodes, index conditions, buffers, time. */
export const keyLines = (plan) =>
  plan
    .filter((line) => /Scan|Insert|Update|Index Cond|Buffers|Execution Time|Rows Removed|Heap Fetches/.test(line))
    .map((line) => line.trim())
    .map((line) => (line.length > 160 ? `${line.slice(0, 157)}...` : line)); // an Index Cond can list a whole batch of ids

const executionMs = (plan) => Number(/Execution Time: ([\d.]+) ms/.exec(plan.join('\n'))?.[1] ?? NaN);

async function outboxSizes(db) {
  const { rows } = await db.query(
    `SELECT pg_relation_size('outbox') AS heap, pg_indexes_size('outbox') AS indexes,
            pg_relation_size('outbox_pending_available_idx') AS pending_index,
            (SELECT n_dead_tup FROM pg_stat_user_tables WHERE relname = 'outbox') AS dead_tuples`,
  );
  const mb = (bytes) => Math.round(Number(bytes) / 2 ** 20);
  return {
    heapMb: mb(rows[0].heap),
    indexesMb: mb(rows[0].indexes),
    pendingIndexMb: mb(rows[0].pending_index),
    deadTuples: Number(rows[0].dead_tuples),
  };
}

/**
 * Dispatched rows as retention keeps them: one every 100 ms going back from an hour ago (5 million
 * span about six days, inside the default 7-day OUTBOX_RETENTION_HOURS), ids time-ordered.
 */
async function addRetained(db, from, to, log) {
  for (let start = from; start <= to; start += SEED_CHUNK) {
    const end = Math.min(to, start + SEED_CHUNK - 1);
    log(`scenario 6: retained rows ${start}–${end}`);
    await db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at,
                           available_at, status, dispatched_at)
       SELECT ${uuidv7Sql('ts')}, (ARRAY['users.UserRegistered', 'users.VerificationEmailRequested', 'users.EmailVerified'])[1 + k % 3],
              1, gen_random_uuid(), '{}', 'bench-retained', ts, ts, ts + interval '5 s', 'dispatched', ts + interval '10 ms'
       FROM (SELECT k, now() - interval '1 hour' - k * interval '100 ms' AS ts FROM generate_series($1::bigint, $2::bigint) AS k) AS seeded`,
      [start, end],
    );
  }
}

/** (a) Commits per second and HTTP latency of resend verification with `size` dispatched rows kept. */
async function commitsWithRetained({ db, post, users, emailQueue, statements, seconds, log }) {
  const figures = [];
  const plans = {};
  let retained = 0;
  let nextUser = 0;
  const resend = async () => (await post('/users/verification-email', { email: users[nextUser++ % users.length].email })) === 202;
  for (const size of [...RETAINED_SIZES].sort((a, b) => a - b)) {
    if (size > retained) await addRetained(db, retained + 1, size, log);
    retained = Math.max(retained, size);
    await db.query('VACUUM ANALYZE outbox');
    log(`scenario 6: commits with ${size} dispatched rows retained, ${GROWTH_RUNS} runs`);
    await closedLoop(32, 2000, resend); // warm-up: caches after the seeding, JIT
    const rates = [];
    const latencies = [];
    let errors = 0;
    for (let run = 0; run < GROWTH_RUNS; run++) {
      const loop = await closedLoop(32, seconds * 1000, resend);
      rates.push((loop.completed - loop.errors) / loop.seconds);
      latencies.push(...loop.latencies);
      errors += loop.errors;
    }
    // The commit path's own statements at this size: one event appended (rolled back), and the
    // post-commit mark of a batch as the API sends it (32 concurrent requests).
    const ids = Array.from({ length: 32 }, () => uuidv7());
    const event = (id) => ({
      eventId: id,
      eventType: 'users.VerificationEmailRequested',
      schemaVersion: 1,
      aggregateId: users[0].id,
      payload: {},
      correlationId: 'bench-growth',
      causationId: null,
      occurredAt: new Date(),
      traceparent: null,
    });
    for (const id of ids) {
      const { sql, params } = await statements.append(event(id), 60_000);
      await db.query(sql, params);
    }
    plans[size] = {
      append: await explain(db, await statements.append(event(uuidv7()), 60_000)),
      markDispatched: await explain(db, await statements.markDispatched(ids), { commit: true }),
    };
    await emailQueue.obliterate({ force: true }); // the jobs of this size's requests (the queue stays paused)
    await emailQueue.pause();
    figures.push({ rows: size, ...(await outboxSizes(db)), commitsPerSec: stats(rates), httpMs: percentiles(latencies), errors });
  }
  const [first] = figures;
  for (const figure of figures) {
    figure.rateRatio = Number((figure.commitsPerSec.median / first.commitsPerSec.median).toFixed(3));
    figure.p99Ratio = Number((figure.httpMs.p99 / first.httpMs.p99).toFixed(3));
  }
  return { figures, plans };
}

/**
 * A backlog of `size` pending rows, as one that built up over time: committed a millisecond apart
 * ending now, every row past its grace period, ids time-ordered. Inserted and ANALYZEd in one
 * transaction, so the relay (running all along in the worker) sees the rows with fresh statistics,
 * all at once. Returns the commit time (database clock) and the seeded range of available_at.
 */
async function seedPending(db, size, users) {
  const client = await db.connect();
  try {
    await client.query('BEGIN');
    await client.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at, available_at, status)
       SELECT ${uuidv7Sql('ts')}, 'users.VerificationEmailRequested', 1, ($2::uuid[])[1 + k % array_length($2::uuid[], 1)], '{}',
              'bench-growth', ts, ts, ts + interval '5 s', 'pending'
       FROM (SELECT k, now() - interval '5 s' - ($1::bigint - k) * interval '1 ms' AS ts FROM generate_series(1, $1::bigint) AS k) AS seeded`,
      [size, users.slice(0, 1000).map((user) => user.id)],
    );
    await client.query('ANALYZE outbox');
    const {
      rows: [{ now }],
    } = await client.query('SELECT now()');
    await client.query('COMMIT');
    const {
      rows: [{ committed }],
    } = await client.query('SELECT clock_timestamp() AS committed');
    return { committed, first: new Date(now.getTime() - (size - 1)), last: now };
  } catch (error) {
    await client.query('ROLLBACK').catch(() => undefined);
    throw error;
  } finally {
    client.release();
  }
}

/** (b) Relay catch-up: rows per second from the commit of `size` pending rows until the last is dispatched. */
async function relayCatchUp({ db, users, emailQueue, statements, log }) {
  const figures = [];
  const plans = {};
  const largest = Math.max(...PENDING_SIZES);
  for (const size of [...PENDING_SIZES].sort((a, b) => a - b)) {
    log(`scenario 6: relay catch-up of ${size} pending rows, ${GROWTH_RUNS} runs`);
    const rates = [];
    let after;
    let backlogMs;
    const wakeUpMs = [];
    for (let run = 0; run < GROWTH_RUNS; run++) {
      await db.query('TRUNCATE outbox'); // every run starts from the same empty table
      const seeded = await seedPending(db, size, users);
      const explainAt = size === largest && run === 0 ? [0, 0.5, 0.9] : [];
      const claimPlans = {};
      if (run === 0) {
        // What one metrics scrape costs with this backlog (the gauges read it on every scrape).
        const plan = await explain(db, await statements.backlog());
        backlogMs = executionMs(plan);
        if (size === largest) plans.backlog = plan;
      }
      // The front of the backlog (oldest unclaimed row), read through the claim's own index; none left: done.
      for (;;) {
        const {
          rows: [front],
        } = await db.query(`SELECT available_at FROM outbox WHERE status = 'pending' ORDER BY available_at LIMIT 1`);
        if (!front) break;
        const progress = (front.available_at - seeded.first) / Math.max(1, seeded.last - seeded.first);
        while (explainAt.length > 0 && progress >= explainAt[0]) {
          const at = explainAt.shift();
          claimPlans[`${Math.round(at * 100)}% claimed`] = await explain(db, await statements.claimDue());
          if (at === 0.5) {
            // The relay's mark of a batch, amid the backlog (rolled back: the relay delivers these rows itself).
            const { rows: batch } = await db.query(
              `SELECT id FROM outbox WHERE status = 'pending' AND available_at <= now() ORDER BY available_at LIMIT $1`,
              [RELAY_BATCH],
            );
            plans.markDispatched = await explain(db, await statements.markDispatched(batch.map((row) => row.id)));
          }
        }
        await sleep(200);
      }
      // From the relay's first claim (a claim leases its rows RELAY_LEASE_MS ahead; nothing else
      // moves available_at here) to the last row dispatched: the relay may be asleep for up to
      // OUTBOX_RELAY_INTERVAL_MS when the rows commit, and that wait is not catch-up.
      const {
        rows: [done],
      } = await db.query(
        `SELECT count(*) FILTER (WHERE status = 'dispatched')::int AS dispatched, max(dispatched_at) AS last,
                min(available_at) - make_interval(secs => $1::double precision / 1000) AS "firstClaim"
         FROM outbox`,
        [RELAY_LEASE_MS],
      );
      if (done.dispatched !== size) throw new Error(`scenario 6: ${done.dispatched} of ${size} rows dispatched`);
      rates.push(size / ((done.last - done.firstClaim) / 1000));
      wakeUpMs.push(done.firstClaim - seeded.committed);
      if (Object.keys(claimPlans).length > 0) plans.claimDue = claimPlans;
      after = await outboxSizes(db);
      await emailQueue.obliterate({ force: true });
      await emailQueue.pause();
    }
    figures.push({ rows: size, rowsPerSec: stats(rates), relayWakeUpMs: wakeUpMs, backlogQueryMs: backlogMs, afterCatchUp: after });
  }
  await db.query('TRUNCATE outbox');
  const [first] = figures;
  for (const figure of figures) figure.ratio = Number((figure.rowsPerSec.median / first.rowsPerSec.median).toFixed(3));
  return { figures, plans };
}

/** Scenario 6; the email queue is paused throughout (mails would compete for the two cores) and emptied after. */
export async function growthScenario({ db, post, users, emailQueue, seconds, log }) {
  const started = Date.now();
  const statements = await outboxStatements();
  await queueDrained(emailQueue);
  await emailQueue.pause();
  try {
    await db.query('TRUNCATE outbox');
    const commits = await commitsWithRetained({ db, post, users, emailQueue, statements, seconds, log });
    await db.query('TRUNCATE outbox'); // the disk back before the backlog part
    const relay = await relayCatchUp({ db, users, emailQueue, statements, log });
    return { runsPerSize: GROWTH_RUNS, retained: commits, pending: relay, minutes: Number(((Date.now() - started) / 60_000).toFixed(1)) };
  } finally {
    await emailQueue.obliterate({ force: true });
    await emailQueue.resume();
  }
}

/** Scenario 6 as Markdown: one row per size with its ratio to the smallest, then the plans' key lines. */
export function growthTable(growth) {
  const f = (x) => (x === null || x === undefined ? '-' : String(Number(x.toFixed(1))));
  const st = (x) => `${f(x.median)} (${x.runs} runs, spread ${f(x.spreadPct)}%)`;
  const lines = [
    `Scenario 6, how cost grows (${growth.minutes} min):`,
    '',
    '| outbox holds | measured | ratio to the smallest | outbox heap / indexes |',
    '|---|---|---|---|',
    ...growth.retained.figures.map(
      (x) =>
        `| ${x.rows} dispatched rows | ${st(x.commitsPerSec)} commits/s; HTTP p50/p99 ${f(x.httpMs.p50)}/${f(x.httpMs.p99)} ms; ${x.errors} errors | rate ${x.rateRatio}, p99 ${x.p99Ratio} | ${x.heapMb} / ${x.indexesMb} MB |`,
    ),
    ...growth.pending.figures.map(
      (x) =>
        `| ${x.rows} pending rows | relay catch-up ${st(x.rowsPerSec)} rows/s; backlog() ${f(x.backlogQueryMs)} ms per metrics scrape | ${x.ratio} | ${x.afterCatchUp.heapMb} / ${x.afterCatchUp.indexesMb} MB after (pending index ${x.afterCatchUp.pendingIndexMb} MB, ${x.afterCatchUp.deadTuples} dead tuples) |`,
    ),
    '',
  ];
  const largestRetained = Math.max(...growth.retained.figures.map((x) => x.rows));
  const plans = [
    ...Object.entries(growth.retained.plans[largestRetained] ?? {}).map(([name, plan]) => [
      `${name}, ${largestRetained} dispatched rows`,
      plan,
    ]),
    ...Object.entries(growth.pending.plans.claimDue ?? {}).map(([when, plan]) => [`claimDue, largest backlog, ${when}`, plan]),
    ...(growth.pending.plans.markDispatched
      ? [['markDispatched of a relay batch, largest backlog, 50% claimed', growth.pending.plans.markDispatched]]
      : []),
    ...(growth.pending.plans.backlog ? [['backlog (metrics), largest backlog', growth.pending.plans.backlog]] : []),
  ];
  for (const [title, plan] of plans) lines.push(`${title}:`, '```', ...keyLines(plan), '```');
  return lines.join('\n');
}
