import { AsyncLocalStorage } from 'node:async_hooks';
import type pg from 'pg';
import type { DataSource } from 'typeorm';

/**
 * One protocol exchange with Postgres: what a client sent in one go (one
 * `client.query` call: a statement, or several carried by one Sync) and
 * everything the server answered up to its ReadyForQuery. node-postgres sends
 * the next query only after that ReadyForQuery, so one exchange is one round trip.
 */
export interface Exchange {
  /** The SQL sent, its whitespace collapsed. */
  readonly sql: string;
  /** The command tags the server answered with, in order ('BEGIN', 'INSERT 0 1', 'COMMIT', ...). */
  readonly tags: string[];
  /** The transaction status before and after: 'I' idle, 'T' in a transaction, 'E' in a failed one. */
  statusBefore: string;
  statusAfter?: string;
}

const WRITES = /^(INSERT|UPDATE|DELETE|MERGE)\b/;

/**
 * Whether the exchange committed a transaction that wrote: an explicit COMMIT,
 * or a writing statement outside a transaction (autocommit). Each is a WAL
 * flush (an fsync) with synchronous_commit on; a read-only autocommit SELECT is not.
 */
export function commits(exchange: Exchange): boolean {
  if (exchange.tags.includes('COMMIT')) return true;
  return exchange.statusBefore === 'I' && exchange.statusAfter === 'I' && exchange.tags.some((tag) => WRITES.test(tag));
}

/** What some work cost in Postgres: its exchanges (round trips) and how many of them committed. */
export interface PostgresCost<T> {
  readonly result: T;
  readonly exchanges: readonly Exchange[];
  readonly roundTrips: number;
  readonly commits: number;
  /** Every exchange as one line: `SQL -> tags` (for a failure message or a report). */
  readonly trace: string[];
}

interface Pending {
  readonly scope: object | undefined;
  readonly exchange: Exchange;
}

/**
 * Counts the round trips and commits a piece of work costs on a TypeORM data
 * source's pool, from the wire protocol (command tags and ReadyForQuery
 * transaction status), not from what the code means to send. Only exchanges
 * started inside `count(work)` — in its async context — are counted, so the
 * app's own background work (the outbox relay, pruning) does not blur the figure.
 */
export class PostgresExchanges {
  private readonly scope = new AsyncLocalStorage<object>();
  private readonly observed = new WeakSet<pg.Client>();

  private constructor(pool: pg.Pool) {
    pool.on('acquire', (client) => this.observe(client));
  }

  /** Starts observing every connection the data source's pool hands out from now on. */
  static of(dataSource: DataSource): PostgresExchanges {
    const pool = (dataSource.driver as unknown as { master?: pg.Pool }).master;
    if (!pool) throw new Error('PostgresExchanges needs an initialised Postgres data source');
    return new PostgresExchanges(pool);
  }

  async count<T>(work: () => Promise<T>): Promise<PostgresCost<T>> {
    const token = { exchanges: [] as Exchange[] };
    const result = await this.scope.run(token, work);
    const exchanges = token.exchanges;
    return {
      result,
      exchanges,
      roundTrips: exchanges.length,
      commits: exchanges.filter(commits).length,
      trace: exchanges.map((exchange) => `${shorten(exchange.sql)} -> ${exchange.tags.join(', ') || '(no tag)'}`),
    };
  }

  private observe(client: pg.Client): void {
    if (this.observed.has(client)) return;
    this.observed.add(client);
    const pending: Pending[] = [];
    let status = 'I';
    const query = client.query.bind(client) as (...args: unknown[]) => unknown;
    (client as unknown as { query: (...args: unknown[]) => unknown }).query = (...args: unknown[]) => {
      const scope = this.scope.getStore() as { exchanges: Exchange[] } | undefined;
      const exchange: Exchange = { sql: sqlOf(args[0]), tags: [], statusBefore: status };
      pending.push({ scope, exchange });
      scope?.exchanges.push(exchange);
      return query(...args);
    };
    client.connection.on('commandComplete', (message: { text: string }) => pending[0]?.exchange.tags.push(message.text));
    client.connection.on('readyForQuery', (message: { status: string }) => {
      status = message.status;
      const done = pending.shift();
      if (done) done.exchange.statusAfter = message.status;
      if (pending[0]) pending[0].exchange.statusBefore = message.status; // it was queued behind the one just done
    });
  }
}

function sqlOf(query: unknown): string {
  const text = typeof query === 'string' ? query : ((query as { text?: string } | null)?.text ?? '(submittable)');
  return text.replace(/\s+/g, ' ').trim();
}

function shorten(sql: string): string {
  return sql.length > 70 ? `${sql.slice(0, 67)}...` : sql;
}
