import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { AggregateRoot } from '@nestjs/cqrs';
import type { DataSource, EntityManager, QueryRunner } from 'typeorm';
import { HeraldConfig } from '@herald/config';
import { inSpan } from '@herald/observability';
import type { DomainEvent } from '../domain/domain-event.js';
import { PostCommitDispatch } from '../dispatch/post-commit-dispatch.js';
import { appendToOutbox } from '../outbox/outbox-append.js';
import { CommitTagSubscriber } from './commit-tag-subscriber.js';
import { DeferredStatements, type AheadStatement } from './deferred-statements.js';
import { NoActiveTransactionError, RollbackOnlyError, TransactionAbortedError, UnitOfWorkMisuseError } from './unit-of-work-errors.js';

/**
 * How the runs nested in a run's work behave: `savepoint` (the default) — each
 * is a SAVEPOINT, so its failure undoes only its own work; `join` — they run
 * in the transaction as it is, without the savepoint's two round trips, and a
 * failure makes the whole transaction rollback-only. Join only where the
 * caller lets the nested run's failure fail the transaction anyway.
 */
export type NestedRuns = 'savepoint' | 'join';

export interface RunOptions {
  /** How the runs nested in this run's work (and in theirs, unless they say otherwise) behave. */
  readonly nestedRuns?: NestedRuns;
}

/** One Postgres transaction and what it has done so far. */
interface Transaction {
  readonly queryRunner: QueryRunner;
  /** BEGIN and the outbox INSERT travel with the statement after them on this connection. */
  readonly deferred: DeferredStatements;
  /** Events recorded in this transaction and not rolled back (yet): written to the outbox with the COMMIT. */
  readonly events: DomainEvent[];
  /** In-memory changes to put back if the work they belong to rolls back, oldest first. */
  readonly undo: (() => void)[];
  savepoints: number;
  /** The failure of a nested run that had joined the transaction: it can only roll back now. */
  rollbackOnly?: { readonly cause: unknown };
  ended: boolean;
}

/** The transaction itself, or one savepoint inside it: what a `run` call sees as "current". */
interface Level {
  readonly tx: Transaction;
  /** Nested runs of this level, chained: siblings run one after another, never in one savepoint. */
  children: Promise<void>;
  /** Nested runs of this level queued or running. While there are any, this level must not touch the database. */
  pendingChildren: number;
  /** How runs nested in this level's work behave. */
  readonly nestedRuns: NestedRuns;
}

/** Postgres's SQLSTATE for a statement sent to an aborted transaction. */
const IN_FAILED_TRANSACTION = '25P02';

function isInFailedTransaction(error: unknown): boolean {
  return (error as { driverError?: { code?: string } }).driverError?.code === IN_FAILED_TRANSACTION;
}

/**
 * One business transaction, propagated through async calls (AsyncLocalStorage),
 * so repositories never take an EntityManager argument.
 *
 * - The outermost `run` opens a transaction; a nested `run` is a SAVEPOINT,
 *   or, in a scope run with `nestedRuns: 'join'`, joins the transaction
 *   (a failure then makes it rollback-only).
 *   Nested runs of the same level run one after another, even when started
 *   together (`Promise.all`): in one connection, two open savepoints are
 *   nested, so a sibling's rollback would undo work that reported success.
 * - Two round trips for a transaction of one statement and its events: BEGIN
 *   travels with the work's first statement, and the outbox INSERT (all the
 *   events the transaction kept) with the COMMIT, each pair in one exchange
 *   with one Sync, so a failure of the first of a pair stops the second
 *   (DeferredStatements). `record` writes nothing until then.
 * - Work that rolls back (savepoint or transaction) forgets its events, and
 *   the in-memory changes registered with `onRollback` are put back, so an
 *   aggregate can be saved again by a retry.
 * - Only after the OUTERMOST commit — and only when Postgres really committed —
 *   are the events handed to the post-commit dispatch; a rollback hands over
 *   nothing. Post-commit work never throws into the caller: the data is
 *   committed and the relay is the safety net.
 *
 * We keep this small class instead of a transaction library because these
 * rules are the core promise of herald and must be exact and visible
 * (TypeORM's afterTransactionCommit also fires on RELEASE SAVEPOINT, and
 * TypeORM reports a COMMIT that Postgres turned into ROLLBACK as a success).
 */
@Injectable()
export class UnitOfWork {
  /** `run(work, UnitOfWork.JOIN_NESTED_RUNS)`: the runs nested in `work` join its transaction (see NestedRuns). */
  static readonly JOIN_NESTED_RUNS: RunOptions = Object.freeze({ nestedRuns: 'join' });

  private readonly logger = new Logger(UnitOfWork.name);
  private readonly storage = new AsyncLocalStorage<Level>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly postCommit: PostCommitDispatch,
    private readonly config: HeraldConfig,
  ) {
    if (!dataSource.subscribers.some((subscriber) => subscriber instanceof CommitTagSubscriber)) {
      dataSource.subscribers.push(new CommitTagSubscriber());
    }
  }

  /** The manager of the current transaction, or the plain one outside a transaction. */
  get manager(): EntityManager {
    const level = this.storage.getStore();
    if (!level) return this.dataSource.manager;
    this.assertUsable(level, 'used the database');
    return level.tx.queryRunner.manager;
  }

  get isActive(): boolean {
    return this.storage.getStore() !== undefined;
  }

  async run<T>(work: () => Promise<T>, options: RunOptions = {}): Promise<T> {
    const level = this.storage.getStore();
    if (!level) return this.runOutermost(work, options.nestedRuns ?? 'savepoint');
    this.assertNotEnded(level.tx);
    this.assertNotRollbackOnly(level.tx);
    level.pendingChildren++;
    const nestedRuns = options.nestedRuns ?? level.nestedRuns;
    const turn = level.children.then(() =>
      level.nestedRuns === 'join' ? this.runJoined(level.tx, work, nestedRuns) : this.runInSavepoint(level.tx, work, nestedRuns),
    );
    level.children = turn.then(
      () => undefined,
      () => undefined,
    );
    try {
      return await turn;
    } finally {
      level.pendingChildren--;
    }
  }

  /**
   * Sends a statement whose answer the work needs later, not before its next
   * statement (the inbox claim, read once `prepare` ran): it travels with the
   * transaction's next statement, in one exchange, and costs no round trip of
   * its own. `answer()` gives its result once that exchange is back, or sends
   * it at once if nothing carried it. If it fails, the statement carrying it
   * fails with its error without running, and the transaction can only roll
   * back. It passes TypeORM by (no query logging or subscriber sees it alone).
   */
  sendAhead(text: string, values: readonly unknown[] = []): AheadStatement {
    const level = this.current();
    this.assertUsable(level, 'sent a statement ahead');
    return level.tx.deferred.sendAhead({ text, values });
  }

  /**
   * Records events in the current transaction: they are written to the outbox
   * (same connection as the data) together with the COMMIT, unless the work
   * (or savepoint) they belong to rolls back first.
   */
  async record(events: readonly DomainEvent[]): Promise<void> {
    const level = this.current();
    if (events.length === 0) return;
    this.assertUsable(level, 'recorded events');
    level.tx.events.push(...events);
  }

  /**
   * Records the aggregate's new events and clears them from it; if the work
   * rolls back, they are put back in front of any raised since, so saving
   * the aggregate again records them again.
   */
  async recordEventsOf(aggregate: AggregateRoot<DomainEvent>): Promise<void> {
    const events = [...aggregate.getUncommittedEvents()];
    if (events.length === 0) return;
    await this.record(events);
    aggregate.uncommit();
    this.onRollback(() => {
      const raisedSince = [...aggregate.getUncommittedEvents()];
      aggregate.uncommit();
      for (const event of [...events, ...raisedSince]) aggregate.apply(event, { skipHandler: true });
    });
  }

  /**
   * Registers how to undo an in-memory change (a cache, an aggregate's
   * "persisted" marker) made by the current work: called, newest first, if
   * the savepoint or transaction it belongs to rolls back.
   */
  onRollback(undo: () => void): void {
    this.current().tx.undo.push(undo);
  }

  private current(): Level {
    const level = this.storage.getStore();
    if (!level) throw new NoActiveTransactionError();
    this.assertNotEnded(level.tx);
    return level;
  }

  /** The transaction's span: its statements (pg spans) are its children, and so is the recording of its events. */
  private runOutermost<T>(work: () => Promise<T>, nestedRuns: NestedRuns): Promise<T> {
    return inSpan('unit of work', {}, () => this.runTransaction(work, nestedRuns));
  }

  private async runTransaction<T>(work: () => Promise<T>, nestedRuns: NestedRuns): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    const deferred = DeferredStatements.attach(await queryRunner.connect());
    const tx: Transaction = { queryRunner, deferred, events: [], undo: [], savepoints: 0, ended: false };
    const level: Level = { tx, children: Promise.resolve(), pendingChildren: 0, nestedRuns };
    let result: T;
    try {
      // TypeORM runs START TRANSACTION (and keeps its own view of the transaction); it is sent with the work's first statement.
      await deferred.deferToNextStatement(() => queryRunner.startTransaction());
      try {
        result = await this.storage.run(level, work);
        await level.children; // nested runs the work started and did not await belong to it too
        if (tx.rollbackOnly) throw new RollbackOnlyError(tx.rollbackOnly.cause);
        await this.commit(tx);
      } catch (error) {
        await level.children;
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
        this.undoSince(tx, { events: 0, undo: 0 });
        throw error;
      }
    } finally {
      tx.ended = true;
      deferred.detach();
      await queryRunner.release();
    }
    // Committed. From here on nothing may fail the caller.
    this.postCommit.afterCommit(tx.events);
    return result;
  }

  /**
   * The events and the COMMIT in one exchange: the outbox INSERT is sent with
   * the COMMIT (and with BEGIN too if the work sent nothing). A failed INSERT
   * stops the COMMIT, and its error is the caller's; a COMMIT counts only if
   * Postgres answered COMMIT (not ROLLBACK).
   */
  private async commit(tx: Transaction): Promise<void> {
    const { queryRunner, deferred, events } = tx;
    if (events.length > 0) {
      await deferred.deferToNextStatement(() => appendToOutbox(queryRunner.manager, events, this.config.outbox.graceMs));
    }
    await queryRunner.commitTransaction().catch((error: unknown) => {
      // The transaction had failed before (an error the work caught): the INSERT sent with the COMMIT was refused.
      throw isInFailedTransaction(error) ? new TransactionAbortedError() : error;
    });
    if ((queryRunner.data as { commitTag?: string }).commitTag !== 'COMMIT') throw new TransactionAbortedError();
  }

  /** A nested run in a scope that joins: no savepoint; a failure leaves the transaction rollback-only. */
  private async runJoined<T>(tx: Transaction, work: () => Promise<T>, nestedRuns: NestedRuns): Promise<T> {
    this.assertNotEnded(tx);
    const level: Level = { tx, children: Promise.resolve(), pendingChildren: 0, nestedRuns };
    try {
      const result = await this.storage.run(level, work);
      await level.children;
      return result;
    } catch (error) {
      await level.children;
      tx.rollbackOnly ??= { cause: error };
      throw error;
    }
  }

  private async runInSavepoint<T>(tx: Transaction, work: () => Promise<T>, nestedRuns: NestedRuns): Promise<T> {
    this.assertNotEnded(tx);
    const name = `herald_sp_${++tx.savepoints}`;
    const mark = { events: tx.events.length, undo: tx.undo.length };
    const level: Level = { tx, children: Promise.resolve(), pendingChildren: 0, nestedRuns };
    await tx.queryRunner.query(`SAVEPOINT ${name}`);
    try {
      const result = await this.storage.run(level, work);
      await level.children;
      await tx.queryRunner.query(`RELEASE SAVEPOINT ${name}`).catch((error: unknown) => {
        throw isInFailedTransaction(error) ? new TransactionAbortedError() : error;
      });
      return result;
    } catch (error) {
      await level.children;
      // If this fails too, the connection is gone and the outer transaction fails with it.
      await tx.queryRunner.query(`ROLLBACK TO SAVEPOINT ${name}`).catch(() => undefined);
      this.undoSince(tx, mark);
      throw error;
    }
  }

  /** Forgets the events and undoes the in-memory changes recorded after `mark`, newest first. */
  private undoSince(tx: Transaction, mark: { events: number; undo: number }): void {
    tx.events.length = mark.events;
    for (const undo of tx.undo.splice(mark.undo).reverse()) {
      try {
        undo();
      } catch (error) {
        this.logger.error({ msg: 'an onRollback callback failed', err: error });
      }
    }
  }

  private assertNotEnded(tx: Transaction): void {
    if (tx.ended) {
      throw new UnitOfWorkMisuseError(
        'UnitOfWork used after its transaction ended: some work inside UnitOfWork.run() was started without being awaited',
      );
    }
  }

  private assertNotRollbackOnly(tx: Transaction): void {
    if (tx.rollbackOnly) throw new RollbackOnlyError(tx.rollbackOnly.cause);
  }

  private assertUsable(level: Level, what: string): void {
    this.assertNotEnded(level.tx);
    this.assertNotRollbackOnly(level.tx);
    if (level.pendingChildren > 0) {
      throw new UnitOfWorkMisuseError(
        `UnitOfWork: ${what} while a nested UnitOfWork.run() of the same transaction was still running; ` +
          'its savepoint would have taken this work with it. Await nested runs before doing more work at the outer level.',
      );
    }
  }
}
