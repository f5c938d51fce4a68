/** Events recorded, or an undo registered (onRollback), outside UnitOfWork.run(). */
export class NoActiveTransactionError extends Error {
  constructor() {
    super('Domain events can only be recorded inside UnitOfWork.run()');
    this.name = 'NoActiveTransactionError';
  }
}

/**
 * Postgres turns the COMMIT of a transaction that had a failing statement into
 * a ROLLBACK and reports no error; TypeORM does not notice. We refuse to call
 * such a transaction committed (and a savepoint in that state released).
 */
export class TransactionAbortedError extends Error {
  constructor() {
    super(
      'The transaction was aborted by a failed statement whose error was caught, so Postgres would roll it back at COMMIT: ' +
        'nothing was committed and no event is dispatched. Let database errors propagate, or run the statement that may fail ' +
        'in a nested UnitOfWork.run (a savepoint) and handle its error there.',
    );
    this.name = 'TransactionAbortedError';
  }
}

/** A misuse that would let one piece of work undo another's: reported instead of silently corrupting the transaction. */
export class UnitOfWorkMisuseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'UnitOfWorkMisuseError';
  }
}

/**
 * A nested run that had joined its transaction (UnitOfWork.run with
 * `nestedRuns: 'join'`) failed: the transaction is rollback-only. Every later
 * statement through the unit of work and its commit fail with this error
 * (the failure is its `cause`), and the transaction is rolled back.
 */
export class RollbackOnlyError extends Error {
  constructor(cause: unknown) {
    super(
      `The transaction is rollback-only: a nested run that joined it failed (${(cause as Error)?.message ?? String(cause)}); ` +
        'nothing was committed and no event is dispatched.',
      { cause },
    );
    this.name = 'RollbackOnlyError';
  }
}
