import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';
import { runCli } from '../support/app-process.js';
import { PrivatePostgres } from '../support/postgres-server.js';
import { Stack } from '../support/stack.js';
import { waitFor } from '../support/wait-for.js';

describe('Fault: Postgres restarts under load', () => {
  const stack = new Stack();
  const postgres = new PrivatePostgres();
  let databaseUrl: string;

  beforeAll(async () => {
    await stack.start();
    await postgres.init();
    postgres.start();
    databaseUrl = await postgres.createDatabase('herald');
    const migrated = await runCli(['migration:run'], { DATABASE_URL: databaseUrl });
    expect(migrated.code).toBe(0);
  });

  afterAll(async () => {
    await stack.stop();
    postgres.destroy();
  });

  it('answers 503 problem+json while it is down, recovers without a restart, and loses no accepted registration', async () => {
    await stack.api({ DATABASE_URL: databaseUrl, RATE_LIMIT_ENABLED: 'false' }).startAndWaitReady();
    const accepted: string[] = [];
    const unavailable: unknown[] = [];
    const other: number[] = [];
    let stop = false;
    let counter = 0;

    const load = Promise.all(
      Array.from({ length: 4 }, async () => {
        while (!stop) {
          const email = `pg-${counter++}@example.com`;
          const { response, error } = await stack.client.POST('/users', { body: { email, password: 'a long and lovely passphrase' } });
          if (response.status === 202) accepted.push(email);
          else if (response.status === 503) unavailable.push({ type: response.headers.get('content-type'), body: error });
          else other.push(response.status);
          if (response.status !== 202) await sleep(20); // a client backing off a little
        }
      }),
    );

    await waitFor('some registrations before the outage', () => accepted.length >= 10);
    postgres.crash();
    await waitFor('503 answers while Postgres is down', () => unavailable.length >= 5, 20_000);
    const readyDuringOutage = await stack.client.GET('/health/ready');
    expect(readyDuringOutage.response.status).toBe(503);
    postgres.start();
    const acceptedBeforeRecovery = accepted.length;
    await waitFor('registrations to succeed again', () => accepted.length >= acceptedBeforeRecovery + 10, 30_000);
    stop = true;
    await load;

    expect(other).toEqual([]);
    for (const answer of unavailable as { type: string; body: { code: string; status: number } }[]) {
      expect(answer.type).toMatch(/^application\/problem\+json/);
      expect(answer.body).toMatchObject({ status: 503, code: 'SERVICE_UNAVAILABLE' });
    }
    expect((await stack.client.GET('/health/ready')).response.status).toBe(200);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      // Every accepted registration is stored with its event (no worker runs here: the requests wait to be resolved).
      const requests = new Set(
        (
          await client.query<{ email: string }>(
            `SELECT r.email FROM account_requests r JOIN outbox o ON o.aggregate_id = r.id AND o.event_type = 'users.AccountRequestReceived'
             WHERE r.kind = 'registration'`,
          )
        ).rows.map((row) => row.email),
      );
      expect(accepted.filter((email) => !requests.has(email))).toEqual([]);
    } finally {
      await client.end();
    }
    process.stdout.write(`postgres restart: ${accepted.length} accepted, ${unavailable.length} answered 503, none lost\n`);
  });

  it('sends every email once when Postgres restarts while mails are being delivered', async () => {
    const mailUrl = await postgres.createDatabase('herald_mail');
    expect((await runCli(['migration:run'], { DATABASE_URL: mailUrl })).code).toBe(0);
    const query = async <R extends pg.QueryResultRow>(sql: string, params: unknown[] = []) => {
      const client = new pg.Client({ connectionString: mailUrl });
      await client.connect();
      try {
        return (await client.query<R>(sql, params)).rows;
      } finally {
        await client.end();
      }
    };
    // A queue and SMTP server of its own: the registrations above left jobs in the first stack's queue.
    const mail = await new Stack().start();
    try {
      const JOBS = 60;
      const users = await mail.seedWelcomeJobs(JOBS, 'pg-mail', query);
      mail.smtp.delayMs = 300; // mails are on their way when Postgres goes
      const worker = await mail.worker({ DATABASE_URL: mailUrl, WORKER_CONCURRENCY: '10' }).startAndWaitReady();
      await waitFor('deliveries under way', () => mail.smtp.messages.length >= 10 && mail.smtp.receiving >= 3, 30_000, 5);

      postgres.crash();
      // The mails that were with the SMTP server went through; recording them in Postgres fails, and the jobs
      // go back to the queue without using up an attempt (the seeded jobs have a single one).
      const deferrals = () => worker.logs().filter((line) => line.msg === 'job deferred: a service is unavailable');
      await waitFor('jobs deferred while Postgres is down', () => deferrals().length >= 3, 20_000);
      postgres.start();

      const queue = mail.emailQueue();
      await waitFor('every job completed', async () => (await queue.getJobCounts('completed')).completed === JOBS, 90_000, 100);
      const counts = mail.smtp.countsByRecipient();
      expect(users.filter((user) => counts.get(user.email) !== 1)).toEqual([]);
      expect(mail.smtp.messages).toHaveLength(JOBS);
      expect(await queue.getJobCounts('completed', 'failed')).toEqual({ completed: JOBS, failed: 0 });
      expect(await query(`SELECT count(*)::int AS n FROM inbox WHERE status = 'done'`)).toEqual([{ n: JOBS }]);
      process.stdout.write(
        `postgres restart during delivery: ${JOBS} mails; ${deferrals().length} runs of ` +
          `${new Set(deferrals().map((line) => line.jobId)).size} jobs deferred while it was down; every mail once, no job failed\n`,
      );
    } finally {
      await mail.stop();
    }
  }, 150_000);
});
