import type pg from 'pg';
import { UnitOfWorkMisuseError } from './unit-of-work-errors.js';
import { StatementsInOneSync, type Statement } from './statements-in-one-sync.js';

/** A node-postgres client as far as this module needs it: its `query` method, which TypeORM calls as `query(text, values)`. */
interface QueryableClient {
  query: (...args: unknown[]) => unknown;
}

/** The stand-in answer of a deferred statement: no rows (TypeORM reads `rows`); its real answer comes with the next statement's. */
function deferredAnswer(): Pick<pg.QueryResult, 'rows' | 'fields'> & { command: null; rowCount: null } {
  return { command: null, rowCount: null, rows: [], fields: [] };
}

/** Refuses a statement because one sent ahead of it failed: it may have been meant to run inside a transaction that never began. */
export class EarlierStatementFailedError extends Error {
  constructor(statement: string, cause: unknown) {
    super(
      `Refused: "${statement}", sent ahead of the statements that followed it, failed (${(cause as Error).message}). ` +
        'The connection takes only ROLLBACK now.',
      { cause },
    );
    this.name = 'EarlierStatementFailedError';
  }
}

/** A statement sent ahead (`sendAhead`): its own answer, once the exchange that carried it is back. */
export interface AheadStatement {
  /**
   * Its result; or its error, or the error of the exchange that carried it
   * when that failed before it ran. Sends it at once (with whatever is
   * deferred before it) if no statement has carried it yet.
   */
  answer(): Promise<pg.QueryResult>;
}

/** A deferred statement, and where its real answer goes when someone wants it (sendAhead). */
interface Deferred {
  readonly statement: Statement;
  readonly answered?: { resolve(result: pg.QueryResult): void; reject(error: unknown): void };
}

/**
 * Statements that need no answer of their own before the work goes on (BEGIN,
 * the outbox INSERT, the inbox claim) travel with the next statement on the
 * same connection, in one exchange with one Sync (StatementsInOneSync), so
 * they cost no round trip.
 *
 * `deferToNextStatement(send)`: the one statement `send` issues is answered at
 * once (an empty result) and kept; the next statement carries it. Its real
 * answer comes with the carrier's: if it failed, the carrier fails with its
 * error and did not run, and so did nothing after it — and from then on the
 * connection refuses every statement but ROLLBACK, so work that swallowed the
 * error cannot go on in autocommit after a BEGIN that failed.
 *
 * `sendAhead(statement)`: the same, for a statement whose answer the work
 * needs later rather than now (the inbox claim, read once `prepare` ran):
 * `answer()` gives it once the carrying exchange is back.
 *
 * Installed on the client (its own `query`) for one unit of work, between
 * TypeORM and node-postgres, so TypeORM's view of the transaction stays its
 * own (it runs START TRANSACTION and COMMIT itself) and every statement still
 * passes TypeORM's logging and subscribers.
 */
export class DeferredStatements {
  private readonly deferred: Deferred[] = [];
  private deferring = false;
  /** An exchange that carries deferred statements, in flight: statements issued meanwhile wait for it. */
  private inFlight: Promise<void> | null = null;
  private refusal: EarlierStatementFailedError | null = null;
  private readonly ownQuery: PropertyDescriptor | undefined;
  private readonly query: (...args: unknown[]) => unknown;

  private constructor(private readonly client: QueryableClient) {
    this.ownQuery = Object.getOwnPropertyDescriptor(client, 'query');
    this.query = client.query.bind(client);
    client.query = (...args: unknown[]) => this.intercept(args);
  }

  /** Starts deferring on this client (a `pg.Client`, as TypeORM's query runner holds it). */
  static attach(client: unknown): DeferredStatements {
    return new DeferredStatements(client as QueryableClient);
  }

  /** Gives the client its own `query` back. Statements still deferred were never sent: they are dropped (an ahead one's answer is an error). */
  detach(): void {
    if (this.ownQuery) Object.defineProperty(this.client, 'query', this.ownQuery);
    else delete (this.client as Partial<QueryableClient>).query;
    for (const { statement, answered } of this.deferred.splice(0)) {
      answered?.reject(new UnitOfWorkMisuseError(`"${statement.text}" was sent ahead, but its transaction ended before it was sent`));
    }
  }

  /** Runs `send`, whose one statement is answered at once and sent with the next statement on this connection. */
  async deferToNextStatement<T>(send: () => Promise<T>): Promise<T> {
    this.deferring = true;
    try {
      const result = await send();
      if (this.deferring) throw new UnitOfWorkMisuseError('deferToNextStatement: the work sent no statement on this connection');
      return result;
    } finally {
      this.deferring = false;
    }
  }

  /**
   * Sends `statement` with the next statement on this connection, like
   * deferToNextStatement, but keeps its own answer for `answer()`.
   */
  sendAhead(statement: Statement): AheadStatement {
    if (this.deferring) throw new UnitOfWorkMisuseError('sendAhead: called while deferToNextStatement waits for its statement');
    if (this.refusal) throw this.refusal;
    let answered!: Deferred['answered'] & object;
    const answer = new Promise<pg.QueryResult>((resolve, reject) => (answered = { resolve, reject }));
    answer.catch(() => undefined); // its error is also the carrier's: unhandled only if nobody asks
    const entry: Deferred = { statement, answered };
    this.deferred.push(entry);
    return {
      answer: async () => {
        while (this.inFlight) await this.inFlight;
        // Nothing carried it yet: it goes now, with whatever is deferred before it, the last of them its own carrier.
        if (this.deferred.includes(entry)) await this.carry(this.deferred.pop()!).catch(() => undefined);
        return answer;
      },
    };
  }

  private intercept(args: unknown[]): unknown {
    const [text, values, ...rest] = args;
    const plain = typeof text === 'string' && (values === undefined || Array.isArray(values)) && rest.length === 0;
    if (plain) return this.statement({ text, values: values as unknown[] | undefined });
    if (this.deferring || this.deferred.length > 0 || this.inFlight || this.refusal) {
      throw new UnitOfWorkMisuseError('A unit of work sends only plain statements (text and parameters) while statements are deferred');
    }
    return this.query(...args);
  }

  private async statement(statement: Statement): Promise<unknown> {
    // Statements issued while an exchange carrying deferred ones is in flight go after it, and only if it went through.
    while (this.inFlight) await this.inFlight;
    if (this.refusal) {
      if (!/^\s*ROLLBACK\s*$/i.test(statement.text)) throw this.refusal;
      this.refusal = null;
    }
    if (this.deferring) {
      this.deferring = false;
      this.deferred.push({ statement });
      return deferredAnswer();
    }
    if (this.deferred.length === 0) return this.query(statement.text, statement.values);
    return this.carry({ statement });
  }

  /**
   * Sends the deferred statements and `carrier` in one exchange; answers with
   * the carrier's result, and each statement sent ahead with its own (or the
   * exchange's error, if it did not run).
   */
  private carry(carrier: Deferred): Promise<unknown> {
    const sent = [...this.deferred.splice(0), carrier];
    const statements = sent.map((entry) => entry.statement);
    let exchangeDone!: () => void;
    this.inFlight = new Promise<void>((resolve) => (exchangeDone = resolve));
    return new Promise((resolve, reject) => {
      let settled = false;
      const finish = (error: Error | null, result?: unknown) => {
        if (settled) return;
        settled = true;
        if (error && exchange.completed < statements.length - 1) {
          this.refusal = new EarlierStatementFailedError(statements[exchange.completed]!.text, error);
        }
        sent.forEach(({ answered }, i) => {
          if (!answered) return;
          if (i < exchange.completed) answered.resolve(exchange.results[i]!);
          else answered.reject(error ?? new Error('the exchange ended without answering a statement sent ahead'));
        });
        this.inFlight = null;
        exchangeDone();
        if (error) reject(error);
        else resolve(result);
      };
      const exchange = new StatementsInOneSync(statements, finish);
      try {
        this.query(exchange);
      } catch (error) {
        finish(error as Error);
      }
    });
  }
}
