import { setTimeout as sleep } from 'node:timers/promises';
import { Test } from '@nestjs/testing';
import type { INestApplication } from '@nestjs/common';
import { Queue } from 'bullmq';
import { ConfigModule } from '@herald/config';
import { DatabaseModule } from '@herald/database';
import { EventRetention, EventsModule, type PruneResult } from '@herald/events';
import { EventUpkeepModule, PruneEvents } from '@herald/contexts';
import { JobsModule, MaintenanceQueue } from '@herald/jobs';
import { Metrics } from '@herald/observability';
import { PruneUserTokens, TokenRetention, UsersModule } from '@herald/users';
import { createApiHarness } from '../support/api-harness.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { withRedis } from '../support/pipeline-harness.js';
import { prunableLeft, seedPrunableRows } from '../support/prunable-rows.js';
import { createTestDatabase, type TestDatabase } from '../support/test-database.js';
import { testConfig } from '../support/test-config.js';
import { deleteKeysWithPrefix, uniqueQueuePrefix } from '../support/test-redis.js';
import { waitFor } from '../support/wait-for.js';

const PASSWORD = 'correct horse battery staple';
const BATCH = 1000;
/** A registration waits on no lock for longer than this, or fails (the API's lock_timeout). */
const LOCK_TIMEOUT_MS = 20;

/** The value of one sample of a metric in the Prometheus text, or undefined. */
function sample(text: string, metric: string, table: string): number | undefined {
  const line = text.split('\n').find((candidate) => candidate.startsWith(`${metric}{table="${table}"} `));
  return line === undefined ? undefined : Number(line.split(' ')[1]);
}

/**
 * Watches every session of the database for waits on a table, row or
 * transaction lock until stopped: how many samples were taken, and the
 * statements seen waiting. (Waits to extend a file, which concurrent inserts
 * cause among themselves, are not what retention could cause.)
 */
function watchLockWaits(db: TestDatabase): { stop(): Promise<{ samples: number; waits: string[] }> } {
  let running = true;
  const waits: string[] = [];
  let samples = 0;
  const loop = (async () => {
    while (running) {
      const rows = await db.query<{ query: string }>(
        `SELECT left(query, 120) AS query FROM pg_stat_activity
         WHERE datname = current_database() AND pid <> pg_backend_pid()
           AND wait_event_type = 'Lock' AND wait_event IN ('relation', 'tuple', 'transactionid')`,
      );
      samples += 1;
      waits.push(...rows.map((row) => row.query));
      await sleep(5); // sampling: there is no event to await
    }
  })();
  return {
    async stop() {
      running = false;
      await loop;
      return { samples, waits };
    },
  };
}

describe('Retention (real Postgres + Redis)', () => {
  describe('pruning 100,000 rows while users register', () => {
    it('deletes every prunable row in batches of its own while every registration succeeds without waiting on a lock', async () => {
      const api = await createApiHarness({
        env: { RATE_LIMIT_ENABLED: 'false', DATABASE_LOCK_TIMEOUT_MS: String(LOCK_TIMEOUT_MS), RETENTION_BATCH_SIZE: String(BATCH) },
      });
      try {
        const seeded = { outbox: 50_000, inbox: 40_000, verificationTokens: 5_000, resetTokens: 5_000, accountRequests: 1_500 };
        await seedPrunableRows(api.db, seeded);
        const lockWaits = watchLockWaits(api.db);

        let pruningDone = false;
        const pruning = (async (): Promise<PruneResult[]> => {
          try {
            // As the maintenance queue runs them: one after the other.
            return [...(await api.app.get(EventRetention).prune()), ...(await api.app.get(TokenRetention).prune())];
          } finally {
            pruningDone = true;
          }
        })();
        const statuses: number[] = [];
        let startedWhilePruning = 0;
        const registerUntilPruned = async (lane: number) => {
          for (let i = 0; !pruningDone || i < 3; i++) {
            if (!pruningDone) startedWhilePruning += 1;
            const response = await api.post('/users', { email: `lane${lane}-user${i}@example.com`, password: PASSWORD });
            statuses.push(response.status);
          }
        };
        await Promise.all([registerUntilPruned(0), registerUntilPruned(1), registerUntilPruned(2)]);
        const results = await pruning;
        const { samples, waits } = await lockWaits.stop();

        expect(results.map(({ table, deleted }) => [table, deleted])).toEqual([
          ['outbox', seeded.outbox],
          ['inbox', seeded.inbox],
          ['email_verification_tokens', seeded.verificationTokens],
          ['password_reset_tokens', seeded.resetTokens],
          ['account_requests', seeded.accountRequests],
        ]);
        // Never more than one batch's rows per statement: every batch but the last was full.
        for (const result of results) expect(result.batches).toBe(Math.floor(result.deleted / BATCH) + 1);
        expect(await prunableLeft(api.db, 24)).toEqual({
          outbox: 0,
          inbox: 0,
          email_verification_tokens: 0,
          password_reset_tokens: 0,
          account_requests: 0,
        });

        expect(startedWhilePruning).toBeGreaterThanOrEqual(3);
        expect(statuses.filter((status) => status !== 202)).toEqual([]);
        await api.settled();
        const [kept] = await api.db.query<{ users: number; events: number }>(
          `SELECT (SELECT count(*) FROM users WHERE email LIKE 'lane%')::int AS users,
                  (SELECT count(*) FROM outbox WHERE created_at > now() - interval '1 hour')::int AS events`,
        );
        // Two events per registration: the request (on the request path), and UserRegistered (when it is resolved).
        expect(kept).toEqual({ users: statuses.length, events: 2 * statuses.length });

        expect(samples).toBeGreaterThan(10);
        expect(waits).toEqual([]);

        const metrics = (await api.app.get(Metrics).render()).body;
        expect(sample(metrics, 'herald_retention_pruned_rows_total', 'outbox')).toBe(seeded.outbox);
        expect(sample(metrics, 'herald_retention_pruned_rows_total', 'password_reset_tokens')).toBe(seeded.resetTokens);
      } finally {
        await api.close();
      }
    }, 300_000);
  });

  describe('scheduled in the worker', () => {
    let db: TestDatabase;
    const prefix = uniqueQueuePrefix();
    const apps: INestApplication[] = [];
    let maintenance: Queue;

    const bootWorker = async (env: Record<string, string> = {}) => {
      const module = await Test.createTestingModule({
        imports: [
          ConfigModule.forRoot(testConfig(db.url, prefix, { RETENTION_INTERVAL_MS: '1000', ...env })),
          DatabaseModule.forRoot('herald-test'),
          EventsModule.forRoot({ relay: false }),
          JobsModule.forRoot({ runtime: true }),
          UsersModule,
          EventUpkeepModule,
        ],
      }).compile();
      const app = await module.createNestApplication({ logger: false }).init();
      apps.push(app);
      return app;
    };

    beforeEach(async () => {
      db = await createTestDatabase();
      maintenance = new Queue(MaintenanceQueue.name, { connection: { url: TEST_REDIS_URL }, prefix });
    });

    afterEach(async () => {
      for (const app of apps.splice(0)) await app.close();
      await maintenance.close();
      await db.drop();
      await withRedis((redis) => deleteKeysWithPrefix(redis, prefix));
    });

    it('registers one schedule per scheduled job, however many workers boot', async () => {
      await bootWorker();
      await bootWorker({ RETENTION_INTERVAL_MS: '2000' });

      const schedulers = await maintenance.getJobSchedulers(0, -1, true);
      expect(schedulers.map((scheduler) => [scheduler.key, scheduler.every]).sort()).toEqual([
        [PruneEvents.name, 2000],
        [PruneUserTokens.name, 2000],
      ]);
    });

    it('removes the schedules when a worker boots with RETENTION_ENABLED=false', async () => {
      await bootWorker();
      expect(await maintenance.getJobSchedulersCount()).toBe(2);

      await bootWorker({ RETENTION_ENABLED: 'false' });
      expect(await maintenance.getJobSchedulersCount()).toBe(0);
    });

    it('prunes what is old enough on its schedule, and keeps what a redelivery or a user may still need', async () => {
      const old = `now() - interval '400 days'`;
      const recent = `now() - interval '1 hour'`;
      const [user] = await db.query<{ id: string }>(
        `INSERT INTO users (id, email, password_hash) VALUES (gen_random_uuid(), 'kept@example.com', 'x') RETURNING id`,
      );
      const outbox = (id: string, status: string, at: string) =>
        db.query(
          `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, created_at, available_at, status, dispatched_at)
           VALUES ($1, 'users.UserRegistered', 1, gen_random_uuid(), '{}', 'c', ${at}, ${at}, ${at}, $2::varchar, CASE WHEN $2::varchar = 'dispatched' THEN ${at} END)`,
          [id, status],
        );
      const inbox = (eventId: string, status: string, at: string) =>
        db.query(`INSERT INTO inbox (consumer, event_id, status, claimed_at, completed_at) VALUES ('r', $1, $2, ${at}, ${at})`, [
          eventId,
          status,
        ]);
      const token = (selector: string, expires: string, used: string | null) =>
        db.query(
          `INSERT INTO email_verification_tokens (selector, user_id, verifier_hash, expires_at, used_at, created_at)
           VALUES ($1, $2, 'h', ${expires}, ${used ?? 'NULL'}, ${old})`,
          [selector, user!.id],
        );
      const ids = {
        oldDispatched: '01938a8e-7c00-7000-8000-000000000001',
        recentDispatched: '01938a8e-7c00-7000-8000-000000000002',
        oldPending: '01938a8e-7c00-7000-8000-000000000003',
        oldDead: '01938a8e-7c00-7000-8000-000000000004',
        doneElsewhere: '01938a8e-7c00-7000-8000-000000000005',
        claimed: '01938a8e-7c00-7000-8000-000000000006',
        recentDone: '01938a8e-7c00-7000-8000-000000000007',
      };
      await outbox(ids.oldDispatched, 'dispatched', old);
      await outbox(ids.recentDispatched, 'dispatched', recent);
      await outbox(ids.oldPending, 'pending', old);
      await outbox(ids.oldDead, 'dead', old);
      await inbox(ids.doneElsewhere, 'done', old); // its event is no longer in the outbox: prunable
      await inbox(ids.oldDead, 'done', old); // its event is dead and may be requeued: kept
      await inbox(ids.claimed, 'claimed', old);
      await inbox(ids.recentDone, 'done', recent);
      await token('used-long-ago', `now() + interval '1 day'`, old);
      await token('expired-long-ago', old, null);
      await token('open', `now() + interval '1 day'`, null);
      await token('used-recently', `now() + interval '1 day'`, recent);
      const request = (id: string, at: string) =>
        db.query(`INSERT INTO account_requests (id, kind, email, created_at) VALUES ($1, 'password-reset', 'someone@example.com', ${at})`, [
          id,
        ]);
      await request('01938a8e-7c00-7000-8000-0000000000a1', old); // its job failed for good long ago: the address goes
      await request('01938a8e-7c00-7000-8000-0000000000a2', recent); // may still be resolved: kept

      const app = await bootWorker();
      await waitFor('the scheduled runs to prune the old rows', async () => {
        const left = await prunableLeft(db, 24 * 7);
        return left.outbox + left.inbox + left.email_verification_tokens + left.account_requests === 1; // the inbox record of the dead event stays
      });

      expect((await db.query<{ id: string }>(`SELECT id FROM outbox ORDER BY id`)).map((row) => row.id)).toEqual([
        ids.recentDispatched,
        ids.oldPending,
        ids.oldDead,
      ]);
      expect((await db.query<{ event_id: string }>(`SELECT event_id FROM inbox ORDER BY event_id`)).map((row) => row.event_id)).toEqual([
        ids.oldDead,
        ids.claimed,
        ids.recentDone,
      ]);
      expect(
        (await db.query<{ selector: string }>(`SELECT selector FROM email_verification_tokens ORDER BY selector`)).map(
          (row) => row.selector,
        ),
      ).toEqual(['open', 'used-recently']);
      expect(await db.query(`SELECT id FROM account_requests`)).toEqual([{ id: '01938a8e-7c00-7000-8000-0000000000a2' }]);

      const metrics = (await app.get(Metrics).render()).body;
      expect(sample(metrics, 'herald_retention_pruned_rows_total', 'outbox')).toBe(1);
      expect(sample(metrics, 'herald_retention_pruned_rows_total', 'inbox')).toBe(1);
      expect(sample(metrics, 'herald_retention_pruned_rows_total', 'email_verification_tokens')).toBe(2);
      expect(sample(metrics, 'herald_retention_pruned_rows_total', 'account_requests')).toBe(1);
      for (const table of ['outbox', 'inbox', 'email_verification_tokens', 'password_reset_tokens', 'account_requests']) {
        expect(sample(metrics, 'herald_table_size_bytes', table)).toBeGreaterThan(0);
        expect(sample(metrics, 'herald_table_rows_estimate', table)).toBeGreaterThanOrEqual(0);
      }
    }, 60_000);
  });
});
