import { Injectable, Logger } from '@nestjs/common';
import { InjectDataSource } from '@nestjs/typeorm';
import type { DataSource } from 'typeorm';
import { Metrics } from '@herald/observability';
import { pruneInBatches, type PruneBatch } from './prune-in-batches.js';

/** What one pruning pass of a table did. */
export interface PruneResult {
  readonly table: string;
  readonly deleted: number;
  /** DELETE statements run, each its own transaction. */
  readonly batches: number;
}

export interface TableSize {
  readonly table: string;
  /** Postgres's estimate (pg_class.reltuples, as of the last VACUUM or ANALYZE); 0 before the first. */
  readonly rows: number;
  /** Table, indexes and TOAST (pg_total_relation_size). */
  readonly bytes: number;
}

const TABLE_NAME = /^[a-z_][a-z0-9_]{0,62}$/;

/** How long one reading of the table sizes serves the gauges: one query per scrape, not one per gauge. */
const READING_TTL_MS = 1000;

/**
 * Pruning by age, for any table a module keeps rows of: the platform's own
 * (outbox, inbox) and those a context declares (its tokens). Rows go in small
 * batches (pruneInBatches), each one short DELETE statement committed on its
 * own that skips rows another transaction has locked, so a pruning pass never
 * holds a lock for longer than one batch, and never waits for one.
 *
 * Exposes `herald_retention_pruned_rows_total{table}` and, for every table
 * tracked, `herald_table_rows_estimate{table}` and `herald_table_size_bytes{table}`,
 * read from the catalog at scrape time (no table is scanned).
 */
@Injectable()
export class Retention {
  private readonly logger = new Logger('Retention');
  private readonly tables = new Set<string>();
  private readonly pruned;
  private reading?: { at: number; sizes: Promise<TableSize[]> };

  constructor(
    @InjectDataSource() private readonly dataSource: DataSource,
    metrics: Metrics,
  ) {
    this.pruned = metrics.counter({
      name: 'herald_retention_pruned_rows_total',
      help: 'Rows deleted by retention, by table',
      labelNames: ['table'],
    });
    const sizes = () => this.readSizes();
    metrics.gauge({
      name: 'herald_table_rows_estimate',
      help: "Rows in a table kept under retention (Postgres's estimate, pg_class.reltuples)",
      labelNames: ['table'],
      async collect() {
        this.reset();
        for (const size of await sizes()) this.set({ table: size.table }, size.rows);
      },
    });
    metrics.gauge({
      name: 'herald_table_size_bytes',
      help: 'Size on disk of a table kept under retention, with its indexes and TOAST (pg_total_relation_size)',
      labelNames: ['table'],
      async collect() {
        this.reset();
        for (const size of await sizes()) this.set({ table: size.table }, size.bytes);
      },
    });
  }

  /** Adds a table to the size gauges (a module does so for each table it prunes). */
  track(table: string): void {
    if (!TABLE_NAME.test(table)) throw new Error(`retention: "${table}" is not a plain table name`);
    this.tables.add(table);
    this.pruned.inc({ table }, 0); // the counter exists from the start, so rate() sees its first increase
  }

  /** Prunes one table with pruneInBatches, counting its rows in the metric and logging the pass. */
  async inBatches(table: string, batchSize: number, batch: PruneBatch): Promise<PruneResult> {
    const started = performance.now();
    const { deleted, batches } = await pruneInBatches(batchSize, batch, (count) => this.pruned.inc({ table }, count));
    this.logger.log({ msg: 'table pruned', table, deleted, batches, durationMs: Math.round(performance.now() - started) });
    return { table, deleted, batches };
  }

  /** The tracked tables' estimated rows and sizes. */
  async tableSizes(): Promise<TableSize[]> {
    if (this.tables.size === 0) return [];
    const rows = (await this.dataSource.query(
      `SELECT c.relname AS "table", greatest(c.reltuples, 0)::float8 AS rows, pg_total_relation_size(c.oid)::float8 AS bytes
       FROM pg_class c
       WHERE c.relname = ANY($1::text[]) AND c.relkind IN ('r', 'p') AND c.relnamespace = current_schema()::regnamespace
       ORDER BY c.relname`,
      [[...this.tables]],
    )) as TableSize[];
    return rows;
  }

  private readSizes(): Promise<TableSize[]> {
    if (!this.reading || Date.now() - this.reading.at > READING_TTL_MS) {
      const sizes = this.tableSizes();
      this.reading = { at: Date.now(), sizes };
      sizes.catch(() => (this.reading = undefined)); // a failed reading is not kept
    }
    return this.reading.sizes;
  }
}
