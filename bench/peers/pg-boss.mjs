// The pg-boss peer: transactional enqueue in Postgres. The command inserts the same row as herald's and
// sends the job inside the same TypeORM transaction (pg-boss's `db` option), and a pg-boss worker in
// this process runs a no-op handler. Configured for its best latency and throughput as its docs
// describe: LISTEN/NOTIFY wake-up (`useListenNotify` + a `notify` queue, so a worker does not wait
// for its poll), batches with two fetch loops (20 jobs in flight, as herald's WORKER_CONCURRENCY),
// continuous fetching while batches come back full; retries as herald's jobs (5 attempts, backoff
// from 2 s).
import { PgBoss } from 'pg-boss';
import { v7 as uuidv7 } from 'uuid';
import { INSERT_USER } from './herald.mjs';
import { typeormDb } from './typeorm-db.mjs';

export const PG_BOSS_QUEUE = 'bench-pg-boss';
export const PG_BOSS_WORK_OPTIONS = { batchSize: 10, localConcurrency: 2, burstWhenBatchFull: true };

export async function startPgBoss({ databaseUrl, dataSource }) {
  const boss = new PgBoss({ connectionString: databaseUrl, application_name: 'bench-pg-boss', useListenNotify: true });
  const errors = [];
  boss.on('error', (error) => errors.push(error));
  await boss.start();
  await boss.createQueue(PG_BOSS_QUEUE, { notify: true, retryLimit: 4, retryDelay: 2, retryBackoff: true });
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
    clear: () => boss.deleteAllJobs(PG_BOSS_QUEUE),
    close: () => boss.stop({ graceful: true, close: true }),
  };
}
