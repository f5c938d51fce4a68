import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { Inbox, type DeliveryContext, type DeliverySteps, type InboxOutcome } from '@herald/events';
import { createPipelineHarness, type PipelineHarness } from '../../../test/support/pipeline-harness.js';
import { PostgresExchanges } from '../../../test/support/postgres-exchanges.js';
import { waitFor } from '../../../test/support/wait-for.js';

/**
 * The tests' own stand-ins for what a delivery's `prepare` writes (a token)
 * and for a statement whose running shows even when its transaction rolls
 * back (a sequence is not transactional). A trigger refuses the claim of the
 * consumer named REFUSED, so the claim itself can fail.
 */
const PROBE_SCHEMA = `
  CREATE TABLE claim_probe (id uuid PRIMARY KEY, label text NOT NULL);
  CREATE SEQUENCE claim_probe_ran;
  CREATE FUNCTION claim_probe_refuse() RETURNS trigger LANGUAGE plpgsql AS $$
  BEGIN
    IF NEW.consumer = 'test-refused-claim' THEN RAISE EXCEPTION 'claim of % refused', NEW.event_id; END IF;
    RETURN NEW;
  END $$;
  CREATE TRIGGER claim_probe_refuse BEFORE INSERT ON inbox FOR EACH ROW EXECUTE FUNCTION claim_probe_refuse();`;

const CONSUMER = 'test-inbox-claim';
const REFUSED = 'test-refused-claim';

describe('Inbox: the claim sent ahead, with BEGIN and prepare’s first statement in one exchange (issue 23)', () => {
  let h: PipelineHarness;
  let inbox: Inbox;
  let exchanges: PostgresExchanges;

  beforeAll(async () => {
    // A lock wait in these tests ends when the test ends it, not after the app's default lock timeout.
    h = await createPipelineHarness({ env: { DATABASE_LOCK_TIMEOUT_MS: '60000' } });
    await h.db.query(PROBE_SCHEMA);
    inbox = h.module.get(Inbox);
    exchanges = PostgresExchanges.of(h.module.get(DataSource));
  });
  afterAll(() => h?.close());

  const contextOf = (eventId: string, consumer = CONSUMER, claimant = `test.${eventId}`): DeliveryContext => ({
    key: { consumer, eventId },
    claimant,
  });
  const inboxRow = async (eventId: string) =>
    (await h.db.query<{ consumer: string; status: string }>('SELECT consumer, status FROM inbox WHERE event_id = $1', [eventId]))[0];
  const probeRows = async (id: string) => (await h.db.query('SELECT 1 FROM claim_probe WHERE id = $1', [id])).length;
  /** How often a statement of prepare ran (nextval), whether or not its transaction committed. */
  const timesRan = async () => {
    const [sequence] = await h.db.query<{ last_value: string; is_called: boolean }>('SELECT last_value, is_called FROM claim_probe_ran');
    return sequence!.is_called ? Number(sequence!.last_value) : 0;
  };
  const sql = (text: string, values: unknown[] = []) => h.uow.manager.query(text, values);
  const insertProbe = (id: string, label: string | null = 'prepared') =>
    sql('INSERT INTO claim_probe (id, label) VALUES ($1, $2)', [id, label]);

  /** A delivery whose perform only counts. */
  function deliver<P>(
    context: DeliveryContext,
    prepare: DeliverySteps<P>['prepare'],
  ): { outcome: Promise<InboxOutcome>; performed: () => number } {
    let performed = 0;
    const outcome = inbox.deliverOnce(context, {
      prepare,
      perform: async () => {
        performed++;
      },
    });
    return { outcome, performed: () => performed };
  }

  /** The next delivery on the same pool goes through: no connection was left in a failed transaction. */
  async function expectNextDeliveryProcessed() {
    const eventId = uuidv7();
    const probe = randomUUID();
    const next = deliver(contextOf(eventId), async () => {
      await insertProbe(probe);
      return 'mail';
    });
    expect(await next.outcome).toBe('processed');
    expect(next.performed()).toBe(1);
    expect(await inboxRow(eventId)).toEqual({ consumer: CONSUMER, status: 'done' });
    expect(await probeRows(probe)).toBe(1);
  }

  /** After a failed delivery: nothing performed, no inbox row, no probe row (if prepare wrote one), and the pool still works. */
  async function expectNothingKept(delivery: { performed: () => number }, eventId: string, probe?: string) {
    expect(delivery.performed()).toBe(0);
    expect(await inboxRow(eventId)).toBeUndefined();
    if (probe) expect(await probeRows(probe)).toBe(0);
    await expectNextDeliveryProcessed();
  }

  it('sends BEGIN, the claim and prepare’s first statement in one round trip, and reads the claim’s answer from it', async () => {
    const eventId = uuidv7();
    const probe = randomUUID();
    const cost = await exchanges.count(() => deliver(contextOf(eventId), async () => (await insertProbe(probe), 'mail')).outcome);

    expect(cost.result).toBe('processed');
    expect(cost.exchanges[0]!.tags).toEqual(['START TRANSACTION', 'SELECT 1', 'INSERT 0 1']);
    expect(cost.roundTrips).toBe(3); // that exchange, COMMIT, "done"
    expect(await inboxRow(eventId)).toEqual({ consumer: CONSUMER, status: 'done' });
    expect(await probeRows(probe)).toBe(1);
  });

  describe('a failure at any position keeps neither the claim nor what prepare wrote, performs nothing, and reaches the caller', () => {
    it('the claim fails: prepare’s statement that carried it never runs', async () => {
      const eventId = uuidv7();
      const probe = randomUUID();
      const ranBefore = await timesRan();
      const delivery = deliver(contextOf(eventId, REFUSED), async () => {
        await sql(`SELECT nextval('claim_probe_ran')`);
        await insertProbe(probe);
        return 'mail';
      });

      await expect(delivery.outcome).rejects.toMatchObject({ message: expect.stringMatching(/claim of .* refused/) });
      expect(await timesRan()).toBe(ranBefore);
      await expectNothingKept(delivery, eventId, probe);
    });

    it('prepare’s first statement, sent with the claim, fails', async () => {
      const eventId = uuidv7();
      const delivery = deliver(contextOf(eventId), async () => {
        await insertProbe(randomUUID(), null); // label is NOT NULL
        return 'mail';
      });

      await expect(delivery.outcome).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '23502' }) });
      await expectNothingKept(delivery, eventId);
    });

    it('a later statement of prepare fails', async () => {
      const eventId = uuidv7();
      const probe = randomUUID();
      const delivery = deliver(contextOf(eventId), async () => {
        await insertProbe(probe);
        await sql('SELECT 1/0');
        return 'mail';
      });

      await expect(delivery.outcome).rejects.toMatchObject({ driverError: expect.objectContaining({ code: '22012' }) });
      await expectNothingKept(delivery, eventId, probe);
    });

    it('prepare throws before it sent anything: the claim goes alone, and is rolled back', async () => {
      const eventId = uuidv7();
      const delivery = deliver(contextOf(eventId), async () => {
        throw new Error('the template could not be rendered');
      });

      await expect(delivery.outcome).rejects.toThrow('the template could not be rendered');
      await expectNothingKept(delivery, eventId);
    });

    it('the connection is dropped while the exchange that carries the claim waits (on another claimant’s uncommitted row)', async () => {
      const eventId = uuidv7();
      const probe = randomUUID();
      const holder = new pg.Client({ connectionString: h.db.url });
      await holder.connect();
      try {
        await holder.query('BEGIN');
        await holder.query(`INSERT INTO inbox (consumer, event_id, status) VALUES ($1, $2, 'claimed')`, [CONSUMER, eventId]);
        const delivery = deliver(contextOf(eventId), async () => (await insertProbe(probe), 'mail'));
        const waiting = await waitFor('the claim to wait for the uncommitted row', async () => {
          const rows = await h.db.query<{ pid: number }>(
            `SELECT pid FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND query LIKE 'WITH claimed AS%'`,
          );
          return rows[0];
        });
        await h.db.query('SELECT pg_terminate_backend($1)', [waiting.pid]);
        await holder.query('ROLLBACK');

        await expect(delivery.outcome).rejects.toMatchObject({ message: expect.stringMatching(/terminat/) });
        expect(delivery.performed()).toBe(0);
        expect(await inboxRow(eventId)).toBeUndefined();
        expect(await probeRows(probe)).toBe(0);
      } finally {
        await holder.end();
      }
      await expectNextDeliveryProcessed();
    });
  });

  describe('prepare runs before the claim’s answer is read: when the claim says no, what prepare wrote is rolled back', () => {
    it('a delivery already done: "duplicate", nothing performed, prepare’s write not kept', async () => {
      const eventId = uuidv7();
      const first = deliver(contextOf(eventId), async () => 'mail');
      expect(await first.outcome).toBe('processed');

      const probe = randomUUID();
      const repeat = deliver(contextOf(eventId, CONSUMER, 'another-claimant'), async () => (await insertProbe(probe), 'mail'));
      expect(await repeat.outcome).toBe('duplicate');
      expect(repeat.performed()).toBe(0);
      expect(await probeRows(probe)).toBe(0);
      expect(await inboxRow(eventId)).toEqual({ consumer: CONSUMER, status: 'done' });
    });

    it('a delivery already done whose prepare fails: still "duplicate" (the claim’s answer came back with the failed exchange)', async () => {
      const eventId = uuidv7();
      expect(await deliver(contextOf(eventId), async () => 'mail').outcome).toBe('processed');

      const repeat = deliver(contextOf(eventId, CONSUMER, 'another-claimant'), async () => (await insertProbe(randomUUID(), null), 'mail'));
      expect(await repeat.outcome).toBe('duplicate');
      expect(repeat.performed()).toBe(0);
    });

    it('a delivery another claimant holds: DeliveryInProgressError, prepare’s write not kept', async () => {
      const eventId = uuidv7();
      let release!: () => void;
      let started!: () => void;
      const performing = new Promise<void>((resolve) => (started = resolve));
      const first = inbox.deliverOnce(contextOf(eventId), {
        prepare: async () => 'mail',
        perform: async () => {
          started();
          await new Promise<void>((resolve) => (release = resolve));
        },
      });
      await performing; // its claim is committed, its side effect under way

      const probe = randomUUID();
      const second = deliver(contextOf(eventId, CONSUMER, 'another-claimant'), async () => (await insertProbe(probe), 'mail'));
      await expect(second.outcome).rejects.toMatchObject({ name: 'DeliveryInProgressError' });
      expect(second.performed()).toBe(0);
      expect(await probeRows(probe)).toBe(0);

      release();
      expect(await first).toBe('processed');
      expect(await inboxRow(eventId)).toEqual({ consumer: CONSUMER, status: 'done' });
    });
  });

  it('a prepare that sends no statement: the claim goes alone before COMMIT, and its answer still counts', async () => {
    const eventId = uuidv7();
    const sent = await exchanges.count(() => deliver(contextOf(eventId), async () => 'mail').outcome);
    expect(sent.result).toBe('processed');
    expect(sent.exchanges[0]!.tags).toEqual(['START TRANSACTION', 'SELECT 1']);

    const skippedId = uuidv7();
    const skipped = deliver(contextOf(skippedId), async () => null);
    expect(await skipped.outcome).toBe('skipped');
    expect(skipped.performed()).toBe(0);
    expect(await inboxRow(skippedId)).toEqual({ consumer: CONSUMER, status: 'done' });

    const repeat = deliver(contextOf(eventId, CONSUMER, 'another-claimant'), async () => 'mail');
    expect(await repeat.outcome).toBe('duplicate');
    expect(repeat.performed()).toBe(0);
  });
});
