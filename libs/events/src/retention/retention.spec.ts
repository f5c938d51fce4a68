import { Logger } from '@nestjs/common';
import type { DataSource } from 'typeorm';
import { Metrics } from '@herald/observability';
import { Retention } from './retention.js';

/** A table of `rows` prunable rows, as batches see it; records each batch's limit. */
function fakeTable(rows: number) {
  const limits: number[] = [];
  return {
    limits,
    batch: async (limit: number) => {
      limits.push(limit);
      const deleted = Math.min(limit, rows);
      rows -= deleted;
      return deleted;
    },
  };
}

describe(Retention.name, () => {
  beforeAll(() => Logger.overrideLogger(false)); // each pass logs what it pruned
  const setUp = () => {
    const metrics = new Metrics();
    return { metrics, retention: new Retention({} as DataSource, metrics) };
  };
  const pruned = async (metrics: Metrics, table: string) =>
    (await metrics.registry.getSingleMetric('herald_retention_pruned_rows_total')!.get()).values.find(
      (value) => value.labels.table === table,
    )?.value;

  describe('inBatches', () => {
    it('deletes batch after batch until one comes back short, and counts the rows per table', async () => {
      const { metrics, retention } = setUp();
      const table = fakeTable(2500);

      expect(await retention.inBatches('outbox', 1000, table.batch)).toEqual({ table: 'outbox', deleted: 2500, batches: 3 });
      expect(table.limits).toEqual([1000, 1000, 1000]);
      expect(await pruned(metrics, 'outbox')).toBe(2500);
    });

    it('runs one more batch after an exact multiple, which finds nothing', async () => {
      const { retention } = setUp();

      expect(await retention.inBatches('inbox', 500, fakeTable(1000).batch)).toEqual({ table: 'inbox', deleted: 1000, batches: 3 });
    });

    it('stops at the first failing batch, keeping the count of those that committed', async () => {
      const { metrics, retention } = setUp();
      let calls = 0;
      const failing = async (limit: number) => {
        if (++calls === 2) throw new Error('canceling statement due to statement timeout');
        return limit;
      };

      await expect(retention.inBatches('outbox', 100, failing)).rejects.toThrow(/statement timeout/);
      expect(await pruned(metrics, 'outbox')).toBe(100);
    });
  });

  describe('track', () => {
    it('starts the pruned-rows counter of a tracked table at 0', async () => {
      const { metrics, retention } = setUp();
      retention.track('password_reset_tokens');

      expect(await pruned(metrics, 'password_reset_tokens')).toBe(0);
    });

    it.each(['outbox; DROP TABLE users', 'Outbox', 'public.outbox', ''])('refuses %j, which is no plain table name', (name) => {
      expect(() => setUp().retention.track(name)).toThrow(/not a plain table name/);
    });
  });
});
