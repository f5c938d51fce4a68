import { Metrics } from '@herald/observability';
import { OutboxMetrics } from './outbox-metrics.js';
import type { OutboxQueries } from './outbox-queries.js';

/** A scrape's value of a metric without labels, as Prometheus would read it. */
async function scraped(metrics: Metrics, name: string): Promise<number | undefined> {
  const line = (await metrics.render()).body.split('\n').find((candidate) => candidate.startsWith(`${name} `));
  return line === undefined ? undefined : Number(line.slice(name.length + 1));
}

describe(OutboxMetrics.name, () => {
  const storeReading = (backlog: Awaited<ReturnType<OutboxQueries['backlog']>>) => {
    const calls = { count: 0 };
    const store = {
      backlog: async () => {
        calls.count++;
        return backlog;
      },
    } as unknown as OutboxQueries;
    return { store, calls };
  };

  it('exports the pending rows, the age of the oldest in seconds and the dead rows', async () => {
    const metrics = new Metrics();
    const { store } = storeReading({ pending: 7, dead: 3, oldestPendingAgeMs: 12_500, exact: true });
    new OutboxMetrics(metrics, store).onModuleInit();

    expect(await scraped(metrics, 'herald_outbox_pending')).toBe(7);
    expect(await scraped(metrics, 'herald_outbox_oldest_pending_age_seconds')).toBe(12.5);
    expect(await scraped(metrics, 'herald_outbox_dead')).toBe(3);
  });

  it('reports age 0 when nothing is pending', async () => {
    const metrics = new Metrics();
    const { store } = storeReading({ pending: 0, dead: 0, oldestPendingAgeMs: null, exact: true });
    new OutboxMetrics(metrics, store).onModuleInit();

    expect(await scraped(metrics, 'herald_outbox_oldest_pending_age_seconds')).toBe(0);
    expect(await scraped(metrics, 'herald_outbox_dead')).toBe(0);
  });

  it('reads Postgres once per scrape, not once per gauge', async () => {
    const metrics = new Metrics();
    const { store, calls } = storeReading({ pending: 1, dead: 0, oldestPendingAgeMs: 10, exact: true });
    new OutboxMetrics(metrics, store).onModuleInit();

    await metrics.render();
    expect(calls.count).toBe(1);
  });
});
