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
