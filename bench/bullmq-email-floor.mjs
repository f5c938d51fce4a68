// The floor of scenario 8, in a process of its own as herald's worker is: a plain BullMQ worker whose
// processor does nothing but the raw pooled nodemailer send of the baseline (no inbox, no token, no
// render, no Postgres at all). Herald over this floor is the price of exactly-once delivery; this floor
// over raw sends is the price of any BullMQ queue between a producer and the sends, on this machine.
//
// Env: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT, CONCURRENCY. Prints "ready" once the worker runs.
import { Worker } from 'bullmq';
import nodemailer from 'nodemailer';
import { randomUUID } from 'node:crypto';

const { REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT, CONCURRENCY } = process.env;
const concurrency = Number(CONCURRENCY);
if (!REDIS_URL || !QUEUE_PREFIX || !QUEUE_NAME || !Number.isInteger(Number(SMTP_PORT)) || !Number.isInteger(concurrency)) {
  process.stderr.write('bullmq-email-floor: REDIS_URL, QUEUE_PREFIX, QUEUE_NAME, SMTP_PORT and CONCURRENCY are required\n');
  process.exit(2);
}

const transport = nodemailer.createTransport({ host: '127.0.0.1', port: Number(SMTP_PORT), secure: false, pool: true, maxConnections: 5 });
const url = new URL(REDIS_URL);
const worker = new Worker(
  QUEUE_NAME,
  async (job) => {
    await transport.sendMail({
      from: 'bench@herald.local',
      to: `floor-${job.data.i}@example.com`,
      subject: 'Confirm your email',
      text: `https://herald.test/verify-email?token=${randomUUID()}`,
      html: `<p><a href="https://herald.test/verify-email?token=${randomUUID()}">Confirm</a></p>`,
    });
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
  process.exit(0);
};
process.on('SIGTERM', stop);
process.on('SIGINT', stop);
