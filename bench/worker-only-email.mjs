// Scenario 8 of `npm run bench` (BENCH_ONLY=8): herald's worker alone on email jobs, against raw pooled
// nodemailer sends of as many messages to the same SMTP sink, runs alternated.
//
// Herald: a queue pre-filled with BENCH_WORKER_ONLY_JOBS real email jobs — VerificationEmailRequested
// events committed to the outbox for as many fresh, unverified users while the email queue is paused,
// put in the queue by the worker's own relay (the jobs the API's dispatch would have added) — then the
// queue resumed and the built worker drains it: per job the inbox claim, the token minted under the
// user's row lock, the render, the pooled SMTP send and the inbox complete. Jobs/s from the resume
// until the queue is empty (and the sink has every mail). Baseline: nodemailer's pool as its docs show
// it, maxConnections = the worker's SMTP_MAX_CONNECTIONS default (5), as many sends in flight as the
// worker runs jobs (WORKER_CONCURRENCY), the same message shape, the same sink.
import { Queue } from 'bullmq';
import nodemailer from 'nodemailer';
import { v7 as uuidv7 } from 'uuid';
import { addWindows, countsOfApps, countsPerUnit, crossCheck, windowOf } from './io-counts.mjs';
import { verificationMail } from './bench-mail.mjs';
import { cpuByRole, REDIS_URL, seedUsers, startHelper, stats, waitFor } from './lib.mjs';

const EVENT_TYPE = 'users.VerificationEmailRequested';

/** Raw pooled nodemailer: `n` messages (herald's verification email: bench-mail.mjs), `concurrency` in flight; sends/s. */
export async function rawPooledSends({ smtpPort, n, concurrency, label }) {
  const transport = nodemailer.createTransport({ host: '127.0.0.1', port: smtpPort, secure: false, pool: true, maxConnections: 5 });
  const started = performance.now();
  let k = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (k < n) {
        const i = k++;
        await transport.sendMail(verificationMail(`raw-${label}-${i}@example.com`));
      }
    }),
  );
  const rate = n / ((performance.now() - started) / 1000);
  transport.close();
  return rate;
}

export async function workerOnlyEmailScenario({ db, redis, smtp, connection, prefix, runs, jobs, concurrency, apps, counting, idle, log }) {
  const emailQueue = new Queue('email', { connection, prefix });
  const warmUp = Math.max(50, Math.round(jobs / 10));
  const users = await seedUsers(db, warmUp + jobs * runs, `worker-only-${Date.now()}`);
  const check = await crossCheck({ apps, counting, db, redis });
  const herald = [];
  const raw = [];
  // CPU seconds by process over the measured runs (the machine's two cores are shared by all of them): where a job's
  // cost goes, herald's worker + Postgres + Redis against the raw sender; 'bench' is this process (the SMTP sink, and
  // for the raw side the sender too).
  // The floors (bullmq-email-floor.mjs), each a plain BullMQ worker doing the raw send in a process of its own:
  // 'floor' with nothing else, 'floor+inbox' with the least an exactly-once inbox costs (claim and "done" commits).
  const floors = {};
  for (const [side, extraEnv] of [
    ['floor', {}],
    ['floor+inbox', { DATABASE_URL: db.options.connectionString }],
  ]) {
    const queueName = `email-${side.replace('+', '-')}`;
    const helper = await startHelper(
      'bench/bullmq-email-floor.mjs',
      {
        REDIS_URL,
        QUEUE_PREFIX: prefix,
        QUEUE_NAME: queueName,
        SMTP_PORT: String(smtp.port),
        CONCURRENCY: String(concurrency),
        ...extraEnv,
      },
      /^ready$/,
    );
    floors[side] = { ...helper, queue: new Queue(queueName, { connection, prefix }), rates: [] };
  }
  const roles = () =>
    new Map([
      [process.pid, 'bench'],
      ...(apps.worker?.child?.pid ? [[apps.worker.child.pid, 'worker']] : []),
      ...Object.entries(floors).map(([side, floor]) => [floor.child.pid, `${side} worker`]),
    ]);
  const cpu = { herald: null, raw: null, floor: null, 'floor+inbox': null };
  const addCpu = (sum, before, after, units) => {
    const next = sum ?? { units: 0, seconds: {} };
    next.units += units;
    for (const [role, s] of after) next.seconds[role] = (next.seconds[role] ?? 0) + s - (before.get(role) ?? 0);
    return next;
  };
  const perJobMs = (sum) =>
    sum && Object.fromEntries(Object.entries(sum.seconds).map(([role, s]) => [role, Number(((s * 1000) / sum.units).toFixed(3))]));
  let io = null; // the worker's counts over the herald runs' drains (not the relay's filling between them)
  let jobsCounted = 0;
  const waitingJobs = async () => {
    const counts = await emailQueue.getJobCounts('waiting', 'paused', 'prioritized');
    return counts.waiting + counts.paused + counts.prioritized;
  };

  /** Waits for `n` more mails at the sink than `mailsBefore`, then for `queue` to hold no job left to run; a failed job fails the run. */
  const sentAndDrained = async (side, queue, mailsBefore, n) => {
    await waitFor(`the ${side} worker to send every mail`, async () => smtp.count - mailsBefore >= n, 600_000, 5);
    await waitFor(
      `the ${side} worker to drain its queue`,
      async () => {
        const counts = await queue.getJobCounts('waiting', 'paused', 'prioritized', 'active', 'delayed', 'failed');
        if (counts.failed > 0) throw new Error(`scenario 8: ${counts.failed} ${side} jobs failed`);
        return counts.waiting + counts.paused + counts.prioritized + counts.active + counts.delayed === 0;
      },
      600_000,
      5,
    );
  };

  /** One run of herald's worker on an email job for each of `batch` (users); jobs/s. */
  const heraldRun = async (batch, { counted = true } = {}) => {
    await emailQueue.pause();
    await db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status)
       SELECT id, $3, 1, user_id, '{}', 'bench-worker-only', now(), now(), 'pending' FROM unnest($1::uuid[], $2::uuid[]) AS t(id, user_id)`,
      [batch.map(() => uuidv7()), batch.map((user) => user.id), EVENT_TYPE],
    );
    // The relay puts them in the (paused) queue; its marks are done once no row is pending.
    await waitFor(
      'the relay to queue the email jobs',
      async () =>
        (await db.query(`SELECT 1 FROM outbox WHERE status = 'pending' LIMIT 1`)).rows.length === 0 &&
        (await waitingJobs()) >= batch.length,
      300_000,
      50,
    );
    const mailsBefore = smtp.count;
    const before = await countsOfApps({ worker: apps.worker }, counting);
    const cpuBefore = cpuByRole(roles());
    const started = performance.now();
    await emailQueue.resume();
    // Every mail at the sink first (read in this process: no Redis command competes with the worker while it
    // works), then the last jobs' completion in the queue.
    await sentAndDrained('herald', emailQueue, mailsBefore, batch.length);
    const seconds = (performance.now() - started) / 1000;
    if (counted) cpu.herald = addCpu(cpu.herald, cpuBefore, cpuByRole(roles()), batch.length);
    const after = await countsOfApps({ worker: apps.worker }, counting);
    const mails = smtp.count - mailsBefore;
    if (mails !== batch.length) throw new Error(`scenario 8: ${mails} mails arrived for ${batch.length} jobs`);
    if (counted) {
      io = addWindows(io, windowOf(before, after));
      jobsCounted += batch.length;
    }
    await emailQueue.clean(0, 0, 'completed');
    return batch.length / seconds;
  };

  /** One run of a floor: `n` jobs queued while paused, then resumed; jobs/s until the sink has every mail. */
  const floorRun = async (side, n, label) => {
    const { queue } = floors[side];
    await queue.pause();
    await queue.addBulk(Array.from({ length: n }, (_, i) => ({ name: 'send', data: { i: `${label}-${i}` } })));
    const mailsBefore = smtp.count;
    const started = performance.now();
    await queue.resume();
    await sentAndDrained(side, queue, mailsBefore, n);
    return n / ((performance.now() - started) / 1000);
  };

  try {
    // Warm-up (not counted): a tenth of a run each.
    await heraldRun(users.slice(0, warmUp), { counted: false });
    await rawPooledSends({ smtpPort: smtp.port, n: warmUp, concurrency, label: 'warm-up' });
    for (const side of Object.keys(floors)) await floorRun(side, warmUp, 'warm-up');
    for (let run = 0; run < runs; run++) {
      const sides = ['herald', 'raw', ...Object.keys(floors)];
      for (const side of run % 2 === 0 ? sides : sides.reverse()) {
        if (side === 'herald') herald.push(await heraldRun(users.slice(warmUp + run * jobs, warmUp + (run + 1) * jobs)));
        else {
          const cpuBefore = cpuByRole(roles());
          const rates = side === 'raw' ? raw : floors[side].rates;
          rates.push(
            side === 'raw'
              ? await rawPooledSends({ smtpPort: smtp.port, n: jobs, concurrency, label: `run${run}` })
              : await floorRun(side, jobs, `run${run}`),
          );
          cpu[side] = addCpu(cpu[side], cpuBefore, cpuByRole(roles()), jobs);
        }
        const rates = side === 'herald' ? herald : side === 'raw' ? raw : floors[side].rates;
        log(`scenario 8, run ${run + 1}/${runs}, ${side}: ${rates.at(-1).toFixed(0)} jobs/s`);
      }
    }
  } finally {
    await emailQueue.resume();
    for (const floor of Object.values(floors)) {
      await floor.stop();
      await floor.queue.obliterate({ force: true }).catch(() => undefined);
      await floor.queue.close();
    }
    await db.query('DROP TABLE IF EXISTS bench_floor_inbox');
  }
  const ioCrossCheck = await check.finish();
  await emailQueue.close();
  const round = (x) => Number(x.toFixed(3));
  return {
    jobsPerRun: jobs,
    workerConcurrency: concurrency,
    measured: { heraldWorkerJobsPerSec: stats(herald) },
    baseline: { rawPooledNodemailerSendsPerSec: stats(raw) },
    ratio: round(stats(herald).median / stats(raw).median),
    target: 0.6,
    // The floors: a plain BullMQ worker (same concurrency, own process) whose jobs only do the raw send,
    // and the same with an inbox's least bookkeeping (a claim committed before the send, "done" after).
    floor: {
      bullmqWorkerRawSendJobsPerSec: stats(floors.floor.rates),
      overRaw: round(stats(floors.floor.rates).median / stats(raw).median),
      heraldOverFloor: round(stats(herald).median / stats(floors.floor.rates).median),
    },
    floorWithInbox: {
      jobsPerSec: stats(floors['floor+inbox'].rates),
      overRaw: round(stats(floors['floor+inbox'].rates).median / stats(raw).median),
      heraldOverIt: round(stats(herald).median / stats(floors['floor+inbox'].rates).median),
    },
    io: { perEmailJob: countsPerUnit({ windows: io, idle, units: jobsCounted }), crossCheck: ioCrossCheck },
    cpuMsPerJob: {
      herald: perJobMs(cpu.herald),
      raw: perJobMs(cpu.raw),
      floor: perJobMs(cpu.floor),
      'floor+inbox': perJobMs(cpu['floor+inbox']),
    },
  };
}
