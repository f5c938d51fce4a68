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
  }, 60_000);

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
          const response = await stack.post('/users', { email, password: 'a long and lovely passphrase' });
          if (response.status === 202) accepted.push(email);
          else if (response.status === 503) unavailable.push({ type: response.headers.get('content-type'), body: await response.json() });
          else other.push(response.status);
          if (response.status !== 202) await sleep(20); // a client backing off a little
        }
      }),
    );

    await waitFor('some registrations before the outage', () => accepted.length >= 10);
    postgres.crash();
    await waitFor('503 answers while Postgres is down', () => unavailable.length >= 5, 20_000);
    const readyDuringOutage = await stack.get('/health/ready');
    expect(readyDuringOutage.status).toBe(503);
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
    expect((await stack.get('/health/ready')).status).toBe(200);

    const client = new pg.Client({ connectionString: databaseUrl });
    await client.connect();
    try {
      const users = new Set((await client.query<{ email: string }>('SELECT email FROM users')).rows.map((row) => row.email));
      const withEvent = new Set(
        (
          await client.query<{ email: string }>(`SELECT payload->>'email' AS email FROM outbox WHERE event_type = 'users.UserRegistered'`)
        ).rows.map((row) => row.email),
      );
      for (const email of accepted) {
        expect(users.has(email)).toBe(true);
        expect(withEvent.has(email)).toBe(true);
      }
    } finally {
      await client.end();
    }
    process.stdout.write(`postgres restart: ${accepted.length} accepted, ${unavailable.length} answered 503, none lost\n`);
  }, 120_000);
});
