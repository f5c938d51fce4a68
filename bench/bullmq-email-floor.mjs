// The floor of scenario 8, in a process of its own as herald's worker is: a plain BullMQ worker whose
// processor does nothing but the raw pooled nodemailer send of the baseline, herald's own rendered message
// (bench-mail.mjs; no inbox, no token, no Postgres at all). Herald over this floor is the price of exactly-once delivery; this floor
// over raw sends is the price of any BullMQ queue between a producer and the sends, on this machine.
//
// With DATABASE_URL it is the floor of exactly-once instead: the same worker plus the least bookkeeping
// an inbox needs around a side effect — a claim committed before the send and a "done" committed after
// it (two autocommit statements on a pg pool, two fsyncs), nothing else: no framework, no token.
//
// Env: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT, CONCURRENCY, DATABASE_URL (optional). Prints
// "ready" once the worker runs.
import { Worker } from 'bullmq';
import nodemailer from 'nodemailer';
import pg from 'pg';
import { verificationMail } from './bench-mail.mjs';

const { REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT, CONCURRENCY, DATABASE_URL } = process.env;
const concurrency = Number(CONCURRENCY);
if (!REDIS_URL || !QUEUE_PREFIX || !QUEUE_NAME || !Number.isInteger(Number(SMTP_PORT)) || !Number.isInteger(concurrency)) {
  process.stderr.write('bullmq-email-floor: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT and CONCURRENCY are required\n');
  process.exit(2);
}

const pool = DATABASE_URL ? new pg.Pool({ connectionString: DATABASE_URL, max: concurrency }) : null;
if (pool) {
  await pool.query(`CREATE TABLE IF NOT EXISTS bench_floor_inbox (
    delivery text PRIMARY KEY, status text NOT NULL, claimed_at timestamptz NOT NULL DEFAULT now(), completed_at timestamptz)`);
}
const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(SMTP_PORT), secure: false, pool: true, maxConnections: 5 });
const url = new URL(REDIS_URL);
const worker = new Worker(
  QUEUE_NAME,
  async (job) => {
    const delivery = `floor.${job.id}`;
    if (pool) {
      const claimed = await pool.query(
        `INSERT INTO bench_floor_inbox (delivery, status) VALUES ($1, 'claimed')
         ON CONFLICT (delivery) DO UPDATE SET claimed_at = now() WHERE bench_floor_inbox.status = 'claimed' RETURNING status`,
        [delivery],
      );
      if (claimed.rowCount === 0) return; // done before
    }
    await transport.sendMail(verificationMail(`floor-${job.data.i}@example.com`));
    if (pool) await pool.query(`UPDATE bench_floor_inbox SET status = 'done', completed_at = now() WHERE delivery = $1`, [delivery]);
  },
  {
    connection: { host: url.hostname, port: Number(url.port || 6379), maxRetriesPerRequest: null },
    prefix: QUEUE_PREFIX,
    concurrency,
    removeOnComplete: { count: 0 },
  },
);
worker.on('failed', (job, error) => process.stderr.write(`bullmq-email-floor: job ${job?.id} failed: ${error.message}\n`));
await worker.waitUntilReady();
process.stdout.write('ready\n');

const stop = async () => {
  await worker.close();
  transport.close();
  await pool?.end();
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
