import { Injectable, Logger } from '@nestjs/common';
import { HeraldConfig } from '@herald/config';
import { inSpan } from '@herald/observability';
import type { DeliveryKey } from '../delivery/delivery-id.js';
import { InboxStatus } from './inbox-record.entity.js';
import { UnitOfWork } from '../unit-of-work/unit-of-work.js';
import type { AheadStatement } from '../unit-of-work/deferred-statements.js';
import { GroupCommit } from './group-commit.js';

/** `processed`: the side effect happened now; `skipped`: nothing needed doing; `duplicate`: done before. */
export type InboxOutcome = 'processed' | 'skipped' | 'duplicate';

/**
 * Where a delivery notes, outside Postgres, that its side effect happened —
 * the job's own state in Redis. Read first on a retry, so a failure to record
 * the effect in Postgres (a database restart right after the SMTP server took
 * the mail) never repeats it.
 */
export interface EffectJournal {
  /** Whether an earlier attempt of this delivery performed the side effect. */
  performed(): Promise<boolean>;
  /** Notes that the side effect happened. */
  notePerformed(): Promise<void>;
}

/** Which delivery this is, who makes it, and where it notes what it did: supplied by the job runtime. */
export interface DeliveryContext {
  /** (consumer, event): the reaction and the event it reacts to. */
  readonly key: DeliveryKey;
  /** Who delivers (the job id). A retry by the same claimant takes over its own unfinished claim at once. */
  readonly claimant: string;
  readonly journal?: EffectJournal;
}

/** The two steps of one delivery of a side effect (an email). */
export interface DeliverySteps<P> {
  /**
   * Inside the short claim transaction: read and lock what the effect needs and
   * write what must go with it (a new token). `null`: nothing to do (recorded as done).
   */
  prepare(): Promise<P | null>;
  /** The side effect itself (an SMTP conversation): outside any transaction, no row lock held. */
  perform(prepared: P): Promise<void>;
}

/** A delivery to record as done: (consumer, event). */
interface CompletedDelivery {
  readonly consumer: string;
  readonly eventId: string;
}

/** The claim found the delivery done: thrown inside the claim transaction to roll back what prepare did. */
class AlreadyDelivered extends Error {}

/** Another claimant is delivering this event right now; the job retries later and then finds it done. */
export class DeliveryInProgressError extends Error {
  constructor(consumer: string, eventId: string) {
    super(`"${consumer}" is being delivered for event ${eventId} by another worker; retry later`);
    this.name = 'DeliveryInProgressError';
  }
}

/**
 * Consumer-side idempotency for side effects outside Postgres. No transaction
 * and no lock is held while the side effect runs:
 *
 * 1. claim: one short transaction records (consumer, event) as `claimed` and
 *    runs `prepare` (locks, token) — a row already `done` means duplicate;
 * 2. perform: the side effect, then a note in the journal (Redis);
 * 3. complete: a second short statement marks the row `done`; deliveries
 *    completing at the same time share it (group commit), each still waiting
 *    for the commit that carries its own row.
 *
 * A retry that finds the journal note skips to step 3. A retry that finds the
 * row claimed but not done performs again — the one at-least-once edge: the
 * worker died (or lost Redis and Postgres at once) after the side effect and
 * before either record. A claim is leased for one job lock duration, so a
 * second claimant (the same event under another job id) waits instead of
 * sending alongside.
 */
@Injectable()
export class Inbox {
  private readonly logger = new Logger(Inbox.name);
  /** The "done" records of deliveries whose side effect happened: one statement and one commit per group (see GroupCommit). */
  private readonly completions = new GroupCommit<CompletedDelivery>((keys) => this.completeAll(keys));

  constructor(
    private readonly uow: UnitOfWork,
    private readonly config: HeraldConfig,
  ) {}

  deliverOnce<P>(context: DeliveryContext, steps: DeliverySteps<P>): Promise<InboxOutcome> {
    const { consumer, eventId } = context.key;
    return inSpan('inbox delivery', { attributes: { 'herald.consumer': consumer, 'herald.event_id': eventId } }, async (span) => {
      const outcome = await this.deliver(context, steps);
      span.setAttribute('herald.inbox.outcome', outcome);
      return outcome;
    });
  }

  private async deliver<P>(context: DeliveryContext, steps: DeliverySteps<P>): Promise<InboxOutcome> {
    const { consumer, eventId } = context.key;
    if (await context.journal?.performed()) {
      await this.complete(consumer, eventId);
      return 'processed';
    }
    const claim = await this.claimAndPrepare(context, steps).catch((error: unknown) => {
      if (error instanceof AlreadyDelivered) return { outcome: 'duplicate' as const };
      throw error;
    });
    if ('outcome' in claim) return claim.outcome;

    await steps.perform(claim.prepared);
    // Best effort: without the note a failure below re-sends on retry, as it did before journals existed.
    await context.journal?.notePerformed().catch((error: unknown) => {
      this.logger.warn({ msg: 'could not note the side effect in the journal', consumer, eventId, err: error });
    });
    await this.complete(consumer, eventId);
    return 'processed';
  }

  /**
   * The claim transaction. The claim is sent ahead: it travels with BEGIN and
   * prepare's first statement in one exchange (one round trip fewer), and its
   * answer is read once prepare has run. So prepare runs before the claim is
   * known: a duplicate, or a delivery someone else holds, rolls back whatever
   * prepare did (a token it minted, the older links it revoked). The claim
   * still comes first on the wire, so the locks are taken in the same order
   * as before (inbox row, then what prepare locks), and a failed claim stops
   * prepare's statement (one Sync: nothing after a failure runs).
   */
  private claimAndPrepare<P>(context: DeliveryContext, steps: DeliverySteps<P>): Promise<{ outcome: InboxOutcome } | { prepared: P }> {
    const { consumer, eventId } = context.key;
    return this.uow.run(async () => {
      const claim = this.sendClaim(consumer, eventId, context.claimant);
      const prepared = await steps.prepare().then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      );
      const state = await this.claimState(claim, consumer, eventId).catch((error: unknown) => {
        // A claim that did not run (prepare's statement carried it and failed with its error), or a second read
        // that prepare's failure refused: prepare's error says what went wrong.
        throw error instanceof DeliveryInProgressError || !('error' in prepared) ? error : prepared.error;
      });
      if (state === InboxStatus.Done) throw new AlreadyDelivered();
      if ('error' in prepared) throw prepared.error;
      if (prepared.value === null) {
        await this.complete(consumer, eventId);
        return { outcome: 'skipped' };
      }
      return { prepared: prepared.value };
    }, UnitOfWork.JOIN_NESTED_RUNS); // prepare's failure fails the claim anyway: its nested runs need no savepoint
  }

  /**
   * Sends the claim of the row (insert, or take over a claim that is ours or
   * whose lease ran out) ahead of the transaction's next statement.
   *
   * One statement says what became of it: the claim, or else the row's status
   * as the statement's snapshot saw it (claimState reads the answer).
   */
  private sendClaim(consumer: string, eventId: string, claimant: string): AheadStatement {
    const leaseMs = this.config.worker.lockDurationMs;
    return this.uow.sendAhead(
      `WITH claimed AS (
         INSERT INTO inbox (consumer, event_id, status, claimed_by, claimed_until)
         VALUES ($1, $2, '${InboxStatus.Claimed}', $3, clock_timestamp() + make_interval(secs => $4::double precision / 1000))
         ON CONFLICT (consumer, event_id) DO UPDATE
           SET claimed_by = EXCLUDED.claimed_by, claimed_until = EXCLUDED.claimed_until, attempts = inbox.attempts + 1
           WHERE inbox.status = '${InboxStatus.Claimed}'
             AND (inbox.claimed_by = EXCLUDED.claimed_by OR inbox.claimed_until IS NULL OR inbox.claimed_until < clock_timestamp())
         RETURNING status
       )
       SELECT true AS claimed, status FROM claimed
       UNION ALL
       SELECT false, status FROM inbox WHERE consumer = $1 AND event_id = $2 AND NOT EXISTS (SELECT FROM claimed)`,
      [consumer, eventId, claimant, leaseMs],
    );
  }

  /**
   * Returns `claimed`, or `done`; throws DeliveryInProgressError when someone
   * else holds a live claim. Only a row committed by a concurrent claimant
   * after the claim's snapshot (the claim waited for it) is not in its
   * answer: then a second SELECT reads it.
   */
  private async claimState(claim: AheadStatement, consumer: string, eventId: string): Promise<InboxStatus> {
    const [row] = (await claim.answer()).rows as { claimed: boolean; status: InboxStatus }[];
    if (row?.claimed) return InboxStatus.Claimed;
    const status = row ? row.status : await this.statusOf(consumer, eventId);
    if (status === InboxStatus.Done) return InboxStatus.Done;
    throw new DeliveryInProgressError(consumer, eventId);
  }

  private async statusOf(consumer: string, eventId: string): Promise<InboxStatus | undefined> {
    const [row] = (await this.uow.manager.query(`SELECT status FROM inbox WHERE consumer = $1 AND event_id = $2`, [consumer, eventId])) as {
      status: InboxStatus;
    }[];
    return row?.status;
  }

  /**
   * Marks the delivery done (creating the row if a journal-only retry finds
   * none). Inside the claim transaction it goes with that transaction; after
   * the side effect it joins the next group commit, and returns once that
   * group is durable. (A group's statement runs in the async context of the
   * delivery whose write started the chain: its span shows under that job.)
   */
  private complete(consumer: string, eventId: string): Promise<void> {
    return this.uow.isActive ? this.completeAll([{ consumer, eventId }]) : this.completions.submit({ consumer, eventId });
  }

  /**
   * Marks deliveries done in one statement. Each key once (an upsert may not
   * touch one row twice), in key order: two groups that share rows lock them
   * in the same order and never deadlock each other.
   */
  private async completeAll(keys: readonly CompletedDelivery[]): Promise<void> {
    const unique = [...new Map(keys.map((key) => [`${key.consumer}\0${key.eventId}`, key])).values()];
    await this.uow.manager.query(
      `INSERT INTO inbox (consumer, event_id, status, completed_at)
       SELECT consumer, event_id, '${InboxStatus.Done}', clock_timestamp()
       FROM unnest($1::varchar[], $2::uuid[]) AS completed(consumer, event_id)
       ORDER BY consumer, event_id
       ON CONFLICT (consumer, event_id) DO UPDATE
         SET status = '${InboxStatus.Done}', completed_at = coalesce(inbox.completed_at, EXCLUDED.completed_at), claimed_until = NULL`,
      [unique.map((key) => key.consumer), unique.map((key) => key.eventId)],
    );
  }
}
