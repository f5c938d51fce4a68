import pg from 'pg';

/** One statement as TypeORM hands it to node-postgres: its text and its parameters. */
export interface Statement {
  readonly text: string;
  readonly values?: readonly unknown[];
}

/** The parts of node-postgres's protocol connection a query writes with (pg's own Query and pg-cursor use the same). */
interface ProtocolWriter {
  readonly stream: { cork?(): void; uncork?(): void };
  parse(message: { text: string }): void;
  bind(message: { values: unknown[] }): void;
  describe(message: { type: 'P'; name: string }): void;
  execute(message: { portal: string }): void;
  sync(): void;
}

type Results = pg.QueryResult | pg.QueryResult[];

/** node-postgres's Query as a base class: it parses rows and command tags, and the client feeds it the answer's messages. */
interface PgQuery {
  handleCommandComplete(message: unknown, connection: ProtocolWriter): void;
}

/** The result node-postgres is filling for the statement being answered (its Query's own field, set before each CommandComplete is handled). */
const currentResultOf = (query: PgQuery): pg.QueryResult => (query as unknown as { _result: pg.QueryResult })._result;
const PgQuery = pg.Query as unknown as new (config: {
  text: string;
  callback: (error: Error | null, results?: Results) => void;
}) => PgQuery;

/** How node-postgres turns a parameter into its wire form (dates, buffers, arrays, JSON), exactly as for its own queries. */
const prepareValue = (pg as unknown as { utils: { prepareValue(value: unknown): unknown } }).utils.prepareValue;

/**
 * Several statements in ONE protocol exchange: Parse, Bind, Describe and
 * Execute for each, then a single Sync. Postgres runs them in order and, at
 * the first error, skips everything up to the Sync: a statement runs only if
 * every one before it succeeded (so a failed BEGIN never lets the statement
 * behind it run in autocommit, and a failed INSERT never lets the COMMIT
 * behind it run). Answers with the last statement's result, or with the
 * first error; `results` holds the answer of each statement that succeeded,
 * in order (also when a later one failed), and `completed` counts them.
 */
export class StatementsInOneSync extends PgQuery {
  readonly results: pg.QueryResult[] = [];

  get completed(): number {
    return this.results.length;
  }

  constructor(
    private readonly statements: readonly Statement[],
    done: (error: Error | null, result?: pg.QueryResult) => void,
  ) {
    super({
      text: statements.map((statement) => statement.text).join(';\n'),
      callback: (error, results) => done(error, Array.isArray(results) ? results[results.length - 1] : results),
    });
  }

  /** Writes every statement and one Sync, corked into one write. Returns an error (and writes nothing) if a parameter cannot be sent. */
  submit(connection: ProtocolWriter): Error | null {
    let prepared: unknown[][];
    try {
      prepared = this.statements.map((statement) => (statement.values ?? []).map((value) => prepareValue(value)));
    } catch (error) {
      return error as Error;
    }
    connection.stream.cork?.();
    try {
      this.statements.forEach((statement, i) => {
        connection.parse({ text: statement.text });
        connection.bind({ values: prepared[i]! });
        connection.describe({ type: 'P', name: '' });
        connection.execute({ portal: '' });
      });
      connection.sync();
    } finally {
      connection.stream.uncork?.();
    }
    return null;
  }

  override handleCommandComplete(message: unknown, connection: ProtocolWriter): void {
    super.handleCommandComplete(message, connection);
    this.results.push(currentResultOf(this));
  }
}
