// The pg-boss peer: transactional enqueue in Postgres. The command inserts the same row as herald's and
// sends the job inside the same TypeORM transaction (pg-boss's `db` option), and a pg-boss worker in
// this process runs a no-op handler.
//
// pg-boss 10 is the newest major that runs on this project's Node (20; pg-boss 11+ require 22). Its
// worker polls: one fetch of up to `batchSize` jobs, then it waits out `pollingIntervalSeconds`
// (counted from the fetch) before the next. So the job-start latency has a floor of the interval and
// the throughput a ceiling of batchSize / interval per worker. Configured for its best on both, within
// what its docs allow: the shortest interval (0.5 s) and batches large enough (1,000) that the ceiling
// is not what limits it here. Retries as herald's jobs: 5 attempts, exponential backoff from 2 s.
// `notifyWorker` (skip the wait) is not used: it reaches only a worker in the producing process.
import PgBoss from 'pg-boss';
import { v7 as uuidv7 } from 'uuid';
import { INSERT_USER } from './herald.mjs';
import { typeormDb } from './typeorm-db.mjs';

export const PG_BOSS_QUEUE = 'bench-pg-boss';
export const PG_BOSS_WORK_OPTIONS = {
  batchSize: Number(process.env.BENCH_PG_BOSS_BATCH_SIZE ?? 1000),
  pollingIntervalSeconds: Number(process.env.BENCH_PG_BOSS_POLLING_SECONDS ?? 0.5),
};

export async function startPgBoss({ databaseUrl, dataSource }) {
  const boss = new PgBoss({ connectionString: databaseUrl, application_name: 'bench-pg-boss' });
  const errors = [];
  boss.on('error', (error) => errors.push(error));
  await boss.start();
  await boss.createQueue(PG_BOSS_QUEUE, { name: PG_BOSS_QUEUE, retryLimit: 4, retryDelay: 2, retryBackoff: true });
  const jobStarts = new Map();
  await boss.work(PG_BOSS_QUEUE, PG_BOSS_WORK_OPTIONS, async (jobs) => {
    const now = performance.now();
    for (const job of jobs) jobStarts.set(job.data.eventId, now);
  });
  return {
    jobStarts,
    errors,
    /** The row and its job in one transaction; resolves after the commit, with the commit time. */
    async register(email) {
      const userId = uuidv7();
      const eventId = uuidv7();
      await dataSource.transaction(async (manager) => {
        await manager.query(INSERT_USER, [userId, email, 'x']);
        await boss.send(PG_BOSS_QUEUE, { userId, eventId, correlationId: eventId }, { db: typeormDb(manager) });
      });
      return { eventId, committedAt: performance.now() };
    },
    /** Every job of every state (pg-boss's TRUNCATE of its job tables). */
    clear: () => boss.clearStorage(),
    close: () => boss.stop({ graceful: true, close: true, wait: true }),
  };
}
