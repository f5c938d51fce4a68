import { AsyncLocalStorage } from 'node:async_hooks';
import { Injectable } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource, EntityManager } from 'typeorm';
import { HeraldConfig } from '@herald/config';
import type { DomainEvent } from './domain-event.js';
import { OutboxStore } from './outbox-store.js';
import { PostCommitDispatch } from './post-commit-dispatch.js';

interface TransactionScope {
  readonly manager: EntityManager;
  /** Events written to the outbox in this transaction and not rolled back (yet). */
  readonly events: DomainEvent[];
  savepoints: number;
}

export class NoActiveTransactionError extends Error {
  constructor() {
    super('Domain events can only be recorded inside UnitOfWork.run()');
    this.name = 'NoActiveTransactionError';
  }
}

/**
 * One business transaction, propagated through async calls (AsyncLocalStorage),
 * so repositories never take an EntityManager argument.
 *
 * - The outermost `run` opens a transaction; a nested `run` is a SAVEPOINT.
 * - Events recorded inside a savepoint that rolls back are forgotten with it.
 * - Only after the OUTERMOST commit are the events handed to the post-commit
 *   dispatch; a rollback hands over nothing. Post-commit work never throws
 *   into the caller: the data is committed and the relay is the safety net.
 *
 * We keep this small class instead of a transaction library because the
 * after-commit and savepoint rules above are the core promise of herald and
 * must be exact and visible (TypeORM's afterTransactionCommit also fires on
 * RELEASE SAVEPOINT).
 */
@Injectable()
export class UnitOfWork {
  private readonly storage = new AsyncLocalStorage<TransactionScope>();

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    private readonly outbox: OutboxStore,
    private readonly postCommit: PostCommitDispatch,
    private readonly config: HeraldConfig,
  ) {}

  /** The manager of the current transaction, or the plain one outside a transaction. */
  get manager(): EntityManager {
    return this.storage.getStore()?.manager ?? this.dataSource.manager;
  }

  get isActive(): boolean {
    return this.storage.getStore() !== undefined;
  }

  async run<T>(work: () => Promise<T>): Promise<T> {
    const scope = this.storage.getStore();
    return scope ? this.runInSavepoint(scope, work) : this.runOutermost(work);
  }

  /** Writes events to the outbox in the current transaction (same EntityManager as the data). */
  async record(events: readonly DomainEvent[]): Promise<void> {
    const scope = this.storage.getStore();
    if (!scope) throw new NoActiveTransactionError();
    if (events.length === 0) return;
    await this.outbox.append(scope.manager, events, this.config.outbox.graceMs);
    scope.events.push(...events);
  }

  private async runOutermost<T>(work: () => Promise<T>): Promise<T> {
    const queryRunner = this.dataSource.createQueryRunner();
    await queryRunner.connect();
    let result: T;
    const scope: TransactionScope = { manager: queryRunner.manager, events: [], savepoints: 0 };
    try {
      await queryRunner.startTransaction();
      try {
        result = await this.storage.run(scope, work);
        await queryRunner.commitTransaction();
      } catch (error) {
        if (queryRunner.isTransactionActive) await queryRunner.rollbackTransaction().catch(() => undefined);
        throw error;
      }
    } finally {
      await queryRunner.release();
    }
    // Committed. From here on nothing may fail the caller.
    this.postCommit.afterCommit(scope.events);
    return result;
  }

  private async runInSavepoint<T>(scope: TransactionScope, work: () => Promise<T>): Promise<T> {
    const name = `herald_sp_${++scope.savepoints}`;
    const recordedBefore = scope.events.length;
    await scope.manager.query(`SAVEPOINT ${name}`);
    try {
      const result = await work();
      await scope.manager.query(`RELEASE SAVEPOINT ${name}`);
      return result;
    } catch (error) {
      await scope.manager.query(`ROLLBACK TO SAVEPOINT ${name}`);
      scope.events.length = recordedBefore;
      throw error;
    }
  }
}
