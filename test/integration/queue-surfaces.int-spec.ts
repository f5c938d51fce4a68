import { readFileSync } from 'node:fs';
import type { INestApplication } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { load } from 'js-yaml';
import { HERALD_MODULES } from '@herald/contexts';
import { JobProducer, JobRegistryExplorer, JobRuntime, jobRegistryOfModules } from '@herald/jobs';
import { Metrics } from '@herald/observability';
import { WorkerModule } from '../../apps/worker/src/worker.module.js';
import { createApiHarness, type ApiHarness } from '../support/api-harness.js';
import { runCli } from '../support/app-process.js';
import { TEST_REDIS_URL } from '../support/env.js';
import { RULES_FILE, type AlertRule } from '../support/monitoring-files.js';
import { waitFor } from '../support/wait-for.js';

const ADMIN = { ADMIN_USER: 'operator', ADMIN_PASSWORD: 'a-long-admin-password' };
const AUTH = { authorization: `Basic ${Buffer.from(`${ADMIN.ADMIN_USER}:${ADMIN.ADMIN_PASSWORD}`).toString('base64')}` };

/** The queues a Prometheus exposition has `herald_queue_jobs` samples of. */
function gaugedQueues(exposition: string): string[] {
  const queues = [...exposition.matchAll(/^herald_queue_jobs\{[^}]*queue="([^"]+)"/gm)].map((match) => match[1]!);
  return [...new Set(queues)].sort();
}

/**
 * Issue 20's first item: a queue that only a schedule feeds (`maintenance`,
 * the retention jobs) was missing from every operator's view. The job registry
 * is the one list; this test compares every surface with it, and fails when
 * one shows fewer queues.
 */
describe('Every queue of the job registry, on every surface (real Postgres and Redis)', () => {
  const registry = jobRegistryOfModules(HERALD_MODULES);
  let api: ApiHarness;
  let worker: INestApplication;

  beforeAll(async () => {
    api = await createApiHarness({ env: ADMIN });
    const module = await Test.createTestingModule({ imports: [WorkerModule.forRoot(api.config)] }).compile();
    worker = await module.createNestApplication({ logger: false }).init();
  });

  afterAll(async () => {
    await worker?.close();
    await api?.close();
  });

  it('has the queues of the reactions and of the schedules, maintenance among them', () => {
    expect(registry.queueNames).toEqual(['accounts', 'email', 'maintenance']);
    expect(registry.jobNames).toEqual(expect.arrayContaining(['prune-events', 'prune-user-tokens', 'send-password-changed-notice']));
  });

  it('is the same registry in the API, the worker and the CLI', () => {
    for (const app of [api.app, worker]) {
      const found = app.get(JobRegistryExplorer).registry;
      expect({ queues: found.queueNames, jobs: found.jobNames }).toEqual({ queues: registry.queueNames, jobs: registry.jobNames });
    }
  });

  it('Bull Board lists every queue', async () => {
    const response = await api.get('/admin/queues/api/queues', AUTH);
    expect(response.status).toBe(200);
    const body = (await response.json()) as { queues: { name: string }[] };
    expect(body.queues.map((queue) => queue.name).sort()).toEqual(registry.queueNames);
  });

  it('the herald_queue_jobs gauge reports every queue, in the API and in the worker', async () => {
    const scraped = await (await api.get('/metrics')).text();
    expect(gaugedQueues(scraped)).toEqual(registry.queueNames);
    expect(gaugedQueues((await worker.get(Metrics).render()).body)).toEqual(registry.queueNames);
  });

  it('the queue alerts watch every queue: grouped by queue, no queue picked by name', () => {
    const rules = (load(readFileSync(RULES_FILE, 'utf8')) as { groups: { rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);
    const queueRules = rules.filter((rule) => /herald_(queue_jobs|jobs_processed_total|jobs_stalled_total)/.test(rule.expr));
    expect(queueRules.map((rule) => rule.alert)).toEqual(expect.arrayContaining(['HeraldJobsDeadLettered', 'HeraldJobFailureRate']));
    for (const rule of queueRules) {
      expect(rule.expr).toMatch(/by \(queue\)/);
      expect(rule.expr).not.toMatch(/queue\s*(=|!=|=~|!~)/);
    }
  });

  it("the CLI's queues:stats shows every queue", async () => {
    const env = { DATABASE_URL: api.db.url, REDIS_URL: TEST_REDIS_URL, QUEUE_PREFIX: api.config.redis.queuePrefix };
    const stats = await runCli(['queues:stats', '--json'], env);
    expect({ code: stats.code, stderr: stats.stderr }).toEqual({ code: 0, stderr: '' });
    expect((JSON.parse(stats.stdout) as { queue: string }[]).map((row) => row.queue).sort()).toEqual(registry.queueNames);
    // A process of its own: its start-up may take long on a loaded machine.
  }, 180_000);

  it('the worker consumes every queue: a worker of each is connected to Redis', async () => {
    expect(Object.keys(await worker.get(JobRuntime).connectionsReady()).sort()).toEqual(registry.queueNames);
    const producer = api.app.get(JobProducer);
    for (const queue of registry.queueNames) {
      await waitFor(`a worker on queue ${queue}`, async () => (await producer.queue(queue).getWorkersCount()) > 0);
    }
  });
});
