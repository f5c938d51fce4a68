import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { DataSource } from 'typeorm';
import { v7 as uuidv7 } from 'uuid';
import { Inbox, type DeliveryContext, type InboxOutcome } from '@herald/events';
import { createPipelineHarness, type PipelineHarness } from '../support/pipeline-harness.js';
import { PostgresExchanges } from '../support/postgres-exchanges.js';
import { waitFor } from '../support/wait-for.js';

const CONSUMER = 'test-inbox-completions';

/** One delivery whose side effect the test lets happen when it chooses, with its journal in memory. */
interface GatedDelivery {
  readonly eventId: string;
  readonly context: DeliveryContext;
  /** Side effects performed (across this delivery's attempts). */
  performed: number;
  /** Journal notes written. */
  noted: number;
  /** Resolves once the side effect started: the claim is committed. */
  readonly performing: Promise<void>;
  /** Lets the side effect finish. */
  readonly release: () => void;
  /** The delivery's outcome (one attempt: deliver() starts another). */
  outcome: Promise<InboxOutcome>;
}

describe('Inbox: "done" records of deliveries completing together share one statement (real Postgres)', () => {
  let harness: PipelineHarness;
  let inbox: Inbox;
  let exchanges: PostgresExchanges;

  const statusOf = async (eventId: string) =>
    (await harness.db.query<{ status: string }>('SELECT status FROM inbox WHERE consumer = $1 AND event_id = $2', [CONSUMER, eventId]))[0]
      ?.status;

  /** Starts a delivery of a new event: the claim commits, then the side effect waits for release(). */
  function startDelivery(): GatedDelivery {
    let started!: () => void;
    let release!: () => void;
    const performing = new Promise<void>((resolve) => (started = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const eventId = uuidv7();
    const delivery: GatedDelivery = {
      eventId,
      performed: 0,
      noted: 0,
      performing,
      release,
      context: {
        key: { consumer: CONSUMER, eventId },
        claimant: `test.${eventId}`,
        journal: {
          performed: async () => delivery.noted > 0,
          notePerformed: async () => {
            delivery.noted++;
          },
        },
      },
      outcome: Promise.resolve('skipped'),
    };
    delivery.outcome = deliver(delivery);
    return delivery;

    function deliver(target: GatedDelivery) {
      return inbox.deliverOnce(target.context, {
        prepare: async () => 'mail',
        perform: async () => {
          target.performed++;
          started();
          await gate;
        },
      });
    }
  }

  /** Another attempt of the same delivery (the job's retry): same claimant, same journal. */
  const retry = (delivery: GatedDelivery) =>
    inbox.deliverOnce(delivery.context, {
      prepare: async () => 'mail',
      perform: async () => {
        delivery.performed++;
      },
    });

  /**
   * Holds the inbox row of `first` locked from a connection of the test's own,
   * lets `first` complete (its "done" statement goes alone, and waits on the
   * row), then lets `together` complete while it waits: they queue behind it.
   * Returns the function that lets the held statement through.
   */
  async function completeBehindAHeldStatement(first: GatedDelivery, together: GatedDelivery[]): Promise<() => Promise<void>> {
    await Promise.all([first, ...together].map((delivery) => delivery.performing));
    const holder = new pg.Client({ connectionString: harness.db.url });
    await holder.connect();
    await holder.query('BEGIN');
    await holder.query('SELECT 1 FROM inbox WHERE consumer = $1 AND event_id = $2 FOR UPDATE', [CONSUMER, first.eventId]);
    first.release();
    await waitFor('the first "done" statement to wait for the held row', async () => {
      const waiting = await holder.query(
        `SELECT 1 FROM pg_stat_activity WHERE datname = current_database() AND wait_event_type = 'Lock' AND pid <> pg_backend_pid()`,
      );
      return waiting.rowCount === 1;
    });
    for (const delivery of together) delivery.release();
    await waitFor('the others to have performed and noted it (their completes queue next)', () =>
      together.every((delivery) => delivery.noted === 1),
    );
    return async () => {
      await holder.query('COMMIT');
      await holder.end();
    };
  }

  const doneStatements = (trace: readonly { sql: string; tags: string[] }[]) =>
    trace.filter((exchange) => exchange.sql.startsWith('INSERT INTO inbox (consumer, event_id, status, completed_at)'));

  beforeAll(async () => {
    harness = await createPipelineHarness();
    inbox = harness.module.get(Inbox);
    exchanges = PostgresExchanges.of(harness.module.get(DataSource));
  });

  afterAll(async () => {
    await harness.close();
  });

  it('writes a lone "done" at once, and those arriving while it is in flight in one statement after it', async () => {
    let performedBySecond = 0;
    const cost = await exchanges.count(async () => {
      // Started in here: the statements a delivery sends are counted in its own async context.
      const [first, second, third] = [startDelivery(), startDelivery(), startDelivery()];
      const letThrough = await completeBehindAHeldStatement(first!, [second!, third!]);
      // A retry of the second job (its journal says performed) joins the same group with the same row: written once.
      const secondAgain = retry(second!);
      // Nobody is answered before the commit that carries its own row.
      expect(await statusOf(second!.eventId)).toBe('claimed');
      await letThrough();
      const outcomes = await Promise.all([...[first!, second!, third!].map((delivery) => delivery.outcome), secondAgain]);
      performedBySecond = second!.performed;
      return outcomes;
    });
    expect(cost.result).toEqual(['processed', 'processed', 'processed', 'processed']);
    expect(doneStatements(cost.exchanges).map((exchange) => exchange.tags)).toEqual([['INSERT 0 1'], ['INSERT 0 2']]);
    expect(performedBySecond).toBe(1);
  });

  it("rejects every member of a group whose statement failed; each one's retry records it done without performing again", async () => {
    const [first, refused, bystander] = [startDelivery(), startDelivery(), startDelivery()];
    // One row of the group cannot be recorded done: the whole statement fails, so the whole group does.
    await harness.db.query(`
      CREATE FUNCTION test_refuse_done() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        IF NEW.event_id = '${refused!.eventId}' AND NEW.status = 'done' THEN RAISE EXCEPTION 'done refused by the test'; END IF;
        RETURN NEW;
      END $$;
      CREATE TRIGGER test_refuse_done BEFORE UPDATE ON inbox FOR EACH ROW EXECUTE FUNCTION test_refuse_done();`);
    try {
      const letThrough = await completeBehindAHeldStatement(first!, [refused!, bystander!]);
      await letThrough();
      expect(await first!.outcome).toBe('processed');
      await expect(refused!.outcome).rejects.toThrow(/done refused by the test/);
      await expect(bystander!.outcome).rejects.toThrow(/done refused by the test/);
      expect([await statusOf(refused!.eventId), await statusOf(bystander!.eventId)]).toEqual(['claimed', 'claimed']);
    } finally {
      await harness.db.query('DROP TRIGGER test_refuse_done ON inbox; DROP FUNCTION test_refuse_done()');
    }

    // The jobs retry: the journal says the side effect happened, so each only records it.
    expect(await retry(refused!)).toBe('processed');
    expect(await retry(bystander!)).toBe('processed');
    expect([refused!.performed, bystander!.performed]).toEqual([1, 1]);
    expect([await statusOf(refused!.eventId), await statusOf(bystander!.eventId)]).toEqual(['done', 'done']);
  });

  it('answers "duplicate" to another delivery of an event whose group completed, and performs nothing', async () => {
    const [first, second, third] = [startDelivery(), startDelivery(), startDelivery()];
    const letThrough = await completeBehindAHeldStatement(first!, [second!, third!]);
    await letThrough();
    await Promise.all([first!, second!, third!].map((delivery) => delivery.outcome));

    let performed = 0;
    const perform = async () => {
      performed++;
    };
    const again = await Promise.all(
      [second!, third!].map((delivery) =>
        inbox.deliverOnce({ key: delivery.context.key, claimant: `another.${randomUUID()}` }, { prepare: async () => 'mail', perform }),
      ),
    );
    expect(again).toEqual(['duplicate', 'duplicate']);
    expect(performed).toBe(0);
  });
});
