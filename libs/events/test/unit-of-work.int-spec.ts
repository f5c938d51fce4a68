import { randomUUID } from 'node:crypto';
import { jest } from '@jest/globals';
import pg from 'pg';
import { DataSource, QueryFailedError } from 'typeorm';
import { RollbackOnlyError, TransactionAbortedError, type UnitOfWork } from '@herald/events';
// The lib's own part these tests watch at work (not its public surface).
import { DeferredStatements, EarlierStatementFailedError } from '../src/unit-of-work/deferred-statements.js';
import { createPipelineHarness, ThingHappened, type PipelineHarness } from '../../../test/support/pipeline-harness.js';
import { PostgresExchanges } from '../../../test/support/postgres-exchanges.js';
import { waitFor } from '../../../test/support/wait-for.js';

/**
 * A table of the tests' own standing in for the business row of a unit of
 * work (the user, the account request). Its deferred constraint trigger fails
 * the COMMIT of a transaction that inserted a row labelled 'refused at commit'.
 */
const PROBE_SCHEMA = `
  CREATE TABLE uow_probe (id uuid PRIMARY KEY, label text NOT NULL);
  CREATE FUNCTION uow_probe_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.label = 'refused at commit' THEN RAISE EXCEPTION 'uow_probe refuses % at commit', NEW.id; END IF;
    RETURN NULL;
  END $$;
  CREATE CONSTRAINT TRIGGER uow_probe_refuse AFTER INSERT ON uow_probe DEFERRABLE INITIALLY DEFERRED
    FOR EACH ROW EXECUTE FUNCTION uow_probe_refuse();`;

async function insertProbe(uow: UnitOfWork, id: string, label: string | null): Promise<void> {
  await uow.manager.query(`INSERT INTO uow_probe (id, label) VALUES ($1, $2)`, [id, label]);
}

/** A registration's shape: one row and the event that says so. */
async function register(
  uow: UnitOfWork,
  id: string,
  label = 'registered',
  event = ThingHappened.create(id, { label }),
): Promise<ThingHappened> {
  await uow.run(async () => {
    await insertProbe(uow, id, label);
    await uow.record([event]);
  });
  return event;
}

async function createHarness(env: Record<string, string> = {}): Promise<PipelineHarness> {
  // A lock wait in these tests ends when the test ends it, not after the app's default lock timeout.
  const h = await createPipelineHarness({ env: { DATABASE_LOCK_TIMEOUT_MS: '60000', ...env } });
  await h.db.query(PROBE_SCHEMA);
  return h;
}

/**
 * A harness for the enclosing describe block (its hooks are registered here; `onReady` receives it), and a counter of
 * the Postgres round trips some work costs: protocol exchanges on the harness's pool (test/support/postgres-exchanges.ts).
 */
function harnessOfBlock(onReady: (h: PipelineHarness) => void): (work: () => Promise<unknown>) => Promise<number> {
  let harness: PipelineHarness | undefined;
  let exchanges: PostgresExchanges;
  beforeAll(async () => {
    harness = await createHarness();
    exchanges = PostgresExchanges.of(harness.module.get(DataSource));
    onReady(harness);
  });
  afterAll(() => harness?.close());
  return async (work) => (await exchanges.count(work)).roundTrips;
}

describe('UnitOfWork: a transaction in two round trips (issue 23)', () => {
  let h: PipelineHarness;
  const roundTripsOf = harnessOfBlock((harness) => (h = harness));

  const probeRows = async (id: string) => (await h.db.query(`SELECT label FROM uow_probe WHERE id = $1`, [id])).length;
  const outboxRows = async (id: string) => (await h.db.query(`SELECT id FROM outbox WHERE id = $1`, [id])).length;

  it('commits a registration-shaped unit of work (a row and its event) in 2 round trips: BEGIN with the INSERT, the outbox INSERT with COMMIT', async () => {
    const id = randomUUID();
    let event!: ThingHappened;
    const trips = await roundTripsOf(async () => (event = await register(h.uow, id)));

    expect(trips).toBe(2);
    expect(await probeRows(id)).toBe(1);
    expect(await outboxRows(event.eventId)).toBe(1);
  });

  it('costs one round trip per further statement, and one in all for a transaction that only records events', async () => {
    const id = randomUUID();
    const twoStatements = await roundTripsOf(() =>
      h.uow.run(async () => {
        await insertProbe(h.uow, id, 'first');
        await h.uow.manager.query(`UPDATE uow_probe SET label = 'second' WHERE id = $1`, [id]);
        await h.uow.record([ThingHappened.create(id, { label: 'second' })]);
      }),
    );
    const event = ThingHappened.create(randomUUID(), { label: 'alone' });
    const eventsOnly = await roundTripsOf(() => h.uow.run(() => h.uow.record([event])));

    expect(twoStatements).toBe(3);
    expect(eventsOnly).toBe(1);
    expect(await outboxRows(event.eventId)).toBe(1);
  });

  describe('a failure at any position leaves no row behind, reaches the caller, dispatches nothing, and the pool stays usable', () => {
    let afterCommit: jest.SpiedFunction<typeof h.postCommit.afterCommit>;
    beforeEach(() => {
      afterCommit = jest.spyOn(h.postCommit, 'afterCommit');
    });
    afterEach(() => afterCommit.mockRestore());

    /** Runs `failing` (which must reject as `expected` says), then checks that nothing of it is kept and the next unit of work commits. */
    async function expectNothingKept(id: string, eventId: string, failing: () => Promise<unknown>, expected: (error: unknown) => void) {
      const error = await failing().then(
        () => {
          throw new Error('the unit of work was expected to fail');
        },
        (reason: unknown) => reason,
      );
      expected(error);
      expect(await probeRows(id)).toBe(0);
      expect(await outboxRows(eventId)).toBe(0);
      expect(afterCommit).not.toHaveBeenCalled();

      const next = randomUUID();
      const event = await register(h.uow, next);
      expect(await probeRows(next)).toBe(1);
      expect(afterCommit).toHaveBeenCalledWith([event]);
    }

    it('the first statement, sent with BEGIN, fails', async () => {
      const id = randomUUID();
      const event = ThingHappened.create(id, { label: 'never' });
      await expectNothingKept(
        id,
        event.eventId,
        () =>
          h.uow.run(async () => {
            await insertProbe(h.uow, id, null); // NOT NULL violation
            await h.uow.record([event]);
          }),
        (error) => expect(error).toMatchObject({ driverError: { code: '23502', column: 'label' } }),
      );
    });

    it('a later statement fails', async () => {
      const id = randomUUID();
      const event = ThingHappened.create(id, { label: 'never' });
      await expectNothingKept(
        id,
        event.eventId,
        () =>
          h.uow.run(async () => {
            await insertProbe(h.uow, id, 'first');
            await h.uow.record([event]);
            await insertProbe(h.uow, id, 'again'); // duplicate key
          }),
        (error) => expect(error).toMatchObject({ driverError: { code: '23505', constraint: 'uow_probe_pkey' } }),
      );
    });

    it('the outbox INSERT, sent with COMMIT, fails (an event id already stored): the caller gets the INSERT’s error', async () => {
      const stored = await register(h.uow, randomUUID());
      afterCommit.mockClear();
      const id = randomUUID();
      await expectNothingKept(
        id,
        randomUUID(), // the stored event's row is the first transaction's, and stays
        () => register(h.uow, id, 'duplicate event', stored),
        (error) => {
          expect(error).toBeInstanceOf(QueryFailedError);
          expect(error).toMatchObject({ driverError: { code: '23505', table: 'outbox' } });
        },
      );
      expect(await outboxRows(stored.eventId)).toBe(1);
    });

    it('COMMIT fails (a deferred constraint trigger raises at commit)', async () => {
      const id = randomUUID();
      const event = ThingHappened.create(id, { label: 'never' });
      await expectNothingKept(
        id,
        event.eventId,
        () => register(h.uow, id, 'refused at commit', event),
        (error) => {
          expect(error).toBeInstanceOf(QueryFailedError);
          expect((error as Error).message).toContain(`uow_probe refuses ${id} at commit`);
        },
      );
    });

    it('the connection is dropped during the final exchange (the outbox INSERT waits on a lock; the backend is terminated)', async () => {
      const id = randomUUID();
      const event = ThingHappened.create(id, { label: 'never' });
      const locker = new pg.Client({ connectionString: h.db.url });
      await locker.connect();
      try {
        await locker.query(`BEGIN`);
        await locker.query(`LOCK TABLE outbox IN SHARE MODE`); // the outbox INSERT waits for it
        const failing = register(h.uow, id, 'dropped', event);
        const waiting = await waitFor('the outbox INSERT to wait for the lock', async () => {
          const rows = await h.db.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'INSERT INTO outbox%'`,
          );
          return rows[0];
        });
        await h.db.query(`SELECT pg_terminate_backend($1)`, [waiting.pid]);
        await locker.query(`ROLLBACK`);
        await expectNothingKept(
          id,
          event.eventId,
          () => failing,
          (error) => expect(error).toMatchObject({ message: expect.stringMatching(/terminat/) }),
        );
      } finally {
        await locker.end();
      }
    });
  });
});

describe('UnitOfWork: BEGIN that fails while the first statement is already on the wire', () => {
  let h: PipelineHarness;
  beforeAll(async () => {
    // One connection: the one left in a failed transaction is the one the unit of work gets.
    h = await createHarness({ DATABASE_POOL_SIZE: '1' });
  });
  afterAll(() => h?.close());

  it('never runs that statement, or any later one, outside a transaction; ROLLBACK makes the connection usable again', async () => {
    const dataSource = h.module.get(DataSource);
    // A connection handed back inside a failed transaction: its next BEGIN fails (25P02).
    const leaky = dataSource.createQueryRunner();
    await leaky.query('BEGIN');
    await leaky.query('SELECT 1/0').catch(() => undefined);
    await leaky.release();

    const first = randomUUID();
    const second = randomUUID();
    const event = ThingHappened.create(first, { label: 'never' });
    const seen: unknown[] = [];
    const afterCommit = jest.spyOn(h.postCommit, 'afterCommit');
    await expect(
      h.uow.run(async () => {
        // Work that swallows its errors and goes on: nothing it sends may run in autocommit.
        await insertProbe(h.uow, first, 'first').catch((error: unknown) => seen.push(error));
        await insertProbe(h.uow, second, 'second').catch((error: unknown) => seen.push(error));
        await h.uow.record([event]);
      }),
    ).rejects.toMatchObject({ driverError: expect.any(EarlierStatementFailedError) });

    expect(seen).toEqual([
      expect.objectContaining({ driverError: expect.objectContaining({ code: '25P02' }) }), // BEGIN's error: the INSERT did not run
      expect.objectContaining({ driverError: expect.any(EarlierStatementFailedError) }),
    ]);
    expect(await h.db.query(`SELECT id FROM uow_probe`)).toEqual([]);
    expect(await h.db.query(`SELECT id FROM outbox WHERE id = $1`, [event.eventId])).toEqual([]);
    expect(afterCommit).not.toHaveBeenCalled();

    const next = randomUUID();
    await register(h.uow, next);
    expect(await h.db.query(`SELECT id FROM uow_probe`)).toEqual([{ id: next }]);
  });
});

describe(DeferredStatements.name, () => {
  let h: PipelineHarness;
  let client: pg.Client;
  beforeAll(async () => {
    h = await createHarness();
    client = new pg.Client({ connectionString: h.db.url });
    await client.connect();
  });
  afterAll(async () => {
    await client?.end();
    await h?.close();
  });

  it('sends a deferred statement with the next one in one exchange: a failure of the first stops the second, and only ROLLBACK passes after it', async () => {
    const deferred = DeferredStatements.attach(client);
    try {
      // Outside a transaction: sent with a Sync of its own, the INSERT would run (and commit) despite the failure before it.
      await expect(deferred.deferToNextStatement(() => client.query('SELECT 1/0'))).resolves.toMatchObject({ rows: [] });
      await expect(client.query(`INSERT INTO uow_probe (id, label) VALUES ($1, 'carried')`, [randomUUID()])).rejects.toMatchObject({
        code: '22012', // division by zero: the deferred statement's error
      });
      expect(await h.db.query(`SELECT id FROM uow_probe`)).toEqual([]);
      await expect(client.query(`SELECT 1`)).rejects.toBeInstanceOf(EarlierStatementFailedError);
      await client.query('ROLLBACK');

      const after = randomUUID();
      await expect(
        deferred.deferToNextStatement(() => client.query(`INSERT INTO uow_probe (id, label) VALUES ($1, 'deferred')`, [after])),
      ).resolves.toBeDefined();
      expect(await h.db.query(`SELECT id FROM uow_probe`)).toEqual([]); // not sent yet
      await expect(client.query(`SELECT label FROM uow_probe WHERE id = $1`, [after])).resolves.toMatchObject({
        rows: [{ label: 'deferred' }],
      });
      expect(await h.db.query(`SELECT label FROM uow_probe`)).toEqual([{ label: 'deferred' }]);
    } finally {
      deferred.detach();
    }
  });
});

describe('UnitOfWork nested runs that join (nestedRuns: join)', () => {
  let h: PipelineHarness;
  const roundTripsOf = harnessOfBlock((harness) => (h = harness));

  const probeLabels = async (...ids: string[]) =>
    (await h.db.query<{ label: string }>(`SELECT label FROM uow_probe WHERE id = ANY($1) ORDER BY label`, [ids])).map((row) => row.label);

  /** The email claim's shape: a statement, then a nested run (the token mint) with a statement and an event. */
  const claimShaped = (outer: string, inner: string, event: ThingHappened, options?: { nestedRuns: 'join' }) =>
    h.uow.run(async () => {
      await insertProbe(h.uow, outer, 'outer');
      await h.uow.run(async () => {
        await insertProbe(h.uow, inner, 'inner');
        await h.uow.record([event]);
      });
    }, options);

  it('commits the nested work with the transaction, without a savepoint: 2 round trips fewer', async () => {
    const [outerA, innerA, outerB, innerB] = [randomUUID(), randomUUID(), randomUUID(), randomUUID()];
    const eventA = ThingHappened.create(innerA, { label: 'savepoint' });
    const eventB = ThingHappened.create(innerB, { label: 'joined' });
    const withSavepoint = await roundTripsOf(() => claimShaped(outerA, innerA, eventA));
    const joined = await roundTripsOf(() => claimShaped(outerB, innerB, eventB, { nestedRuns: 'join' }));

    expect(withSavepoint).toBe(5); // BEGIN+INSERT, SAVEPOINT, INSERT, RELEASE, INSERT outbox+COMMIT
    expect(joined).toBe(3); // BEGIN+INSERT, INSERT, INSERT outbox+COMMIT
    expect(await probeLabels(outerB, innerB)).toEqual(['inner', 'outer']);
    expect(await h.db.query(`SELECT id FROM outbox WHERE id = $1`, [eventB.eventId])).toEqual([{ id: eventB.eventId }]);
  });

  it('rolls back the whole transaction when a joined run fails, and the failure reaches the caller', async () => {
    const [outer, inner] = [randomUUID(), randomUUID()];
    const event = ThingHappened.create(inner, { label: 'never' });
    const afterCommit = jest.spyOn(h.postCommit, 'afterCommit');
    try {
      await expect(
        h.uow.run(
          async () => {
            await insertProbe(h.uow, outer, 'outer');
            await h.uow.run(async () => {
              await insertProbe(h.uow, inner, 'inner');
              await h.uow.record([event]);
              throw new Error('the token mint failed');
            });
          },
          { nestedRuns: 'join' },
        ),
      ).rejects.toThrow('the token mint failed');
      expect(await probeLabels(outer, inner)).toEqual([]);
      expect(await h.db.query(`SELECT id FROM outbox WHERE id = $1`, [event.eventId])).toEqual([]);
      expect(afterCommit).not.toHaveBeenCalled();
    } finally {
      afterCommit.mockRestore();
    }
  });

  it('makes the transaction rollback-only when the outer work catches the failure: later statements and the commit fail', async () => {
    const [outer, inner] = [randomUUID(), randomUUID()];
    let later: unknown;
    const failure = await h.uow
      .run(
        async () => {
          await insertProbe(h.uow, outer, 'outer');
          await h.uow
            .run(async () => {
              await insertProbe(h.uow, inner, 'inner');
              throw new Error('the token mint failed');
            })
            .catch(() => undefined);
          later = await insertProbe(h.uow, randomUUID(), 'later').catch((error: unknown) => error);
        },
        { nestedRuns: 'join' },
      )
      .catch((error: unknown) => error);

    expect(later).toBeInstanceOf(RollbackOnlyError);
    expect(failure).toBeInstanceOf(RollbackOnlyError);
    expect((failure as Error).cause).toEqual(new Error('the token mint failed'));
    expect(await probeLabels(outer, inner)).toEqual([]);
  });

  it('keeps savepoints inside a joining scope where a run asks for them, and everywhere else', async () => {
    const [outer, inner] = [randomUUID(), randomUUID()];
    await h.uow.run(
      async () => {
        await insertProbe(h.uow, outer, 'outer');
        await h.uow.run(
          async () => {
            await h.uow
              .run(async () => {
                await insertProbe(h.uow, inner, 'inner');
                throw new Error('undone alone');
              })
              .catch(() => undefined);
          },
          { nestedRuns: 'savepoint' },
        );
      },
      { nestedRuns: 'join' },
    );
    expect(await probeLabels(outer, inner)).toEqual(['outer']);
  });

  it('refuses a failed database statement swallowed inside a joined run at commit', async () => {
    const outer = randomUUID();
    await expect(
      h.uow.run(
        async () => {
          await insertProbe(h.uow, outer, 'outer');
          await h.uow.run(() => h.uow.manager.query('SELECT 1/0').catch(() => undefined));
        },
        { nestedRuns: 'join' },
      ),
    ).rejects.toThrow(TransactionAbortedError);
    expect(await probeLabels(outer)).toEqual([]);
  });
});
