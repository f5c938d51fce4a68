import { randomUUID } from 'node:crypto';
import { exposedSeriesNames, monitoredMetricNames, PROMETHEUS_SERIES } from '../support/monitoring-files.js';
import { Stack } from '../support/stack.js';

/**
 * Every metric the Grafana dashboard and the alert rules name is exported by
 * the running apps: the built API and worker, scraped on /metrics as
 * Prometheus would. A dashboard or rule naming a metric no app exports fails.
 */
describe('Monitoring metrics (built API + worker processes, scraped)', () => {
  const stack = new Stack();
  let apiMetrics: string;
  let workerMetrics: string;

  const scrape = async (url: string) => {
    const response = await fetch(url);
    expect(response.status).toBe(200);
    return response.text();
  };

  beforeAll(async () => {
    await stack.start();
    await Promise.all([stack.api().startAndWaitReady(), stack.worker().startAndWaitReady()]);
    // One dead outbox row, so the dead-letter gauge has something to count.
    await stack.db.query(
      `INSERT INTO outbox (id, event_type, schema_version, aggregate_id, payload, correlation_id, occurred_at, available_at, status, attempts, last_error)
       VALUES ($1, 'users.UserRegistered', 1, $2, '{}', 'monitoring', now(), now(), 'dead', 10, 'reaction refused the event')`,
      [randomUUID(), randomUUID()],
    );
    [apiMetrics, workerMetrics] = await Promise.all([
      scrape(`${stack.apiUrl}/metrics`),
      scrape(`http://127.0.0.1:${stack.workerPort}/metrics`),
    ]);
  });

  afterAll(async () => {
    await stack.stop();
  });

  it('exports every metric the dashboard and the alert rules name', () => {
    const exported = new Set([...exposedSeriesNames(apiMetrics), ...exposedSeriesNames(workerMetrics), ...PROMETHEUS_SERIES]);
    const used = monitoredMetricNames();
    expect(used.size).toBeGreaterThan(10);
    const missing = [...used].filter(([name]) => !exported.has(name)).map(([name, where]) => `${name} (${where.join(', ')})`);
    expect(missing).toEqual([]);
  });

  it('reports the worker ready, and the dead outbox row, as the alerts read them', () => {
    expect(workerMetrics).toMatch(/^herald_worker_ready 1$/m);
    expect(workerMetrics).toMatch(/^herald_outbox_dead 1$/m);
    expect(apiMetrics).toMatch(/^herald_outbox_dead 1$/m);
  });
});
