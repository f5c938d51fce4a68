import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { dump, load } from 'js-yaml';
import {
  asPlainPromql,
  dashboardQueries,
  metricNamesIn,
  PROMETHEUS_CONFIG_FILE,
  readAlertRules,
  readDashboard,
  RULE_TESTS_FILE,
  RULES_FILE,
} from '../support/monitoring-files.js';

/**
 * The Grafana dashboard and the Prometheus rules, checked by promtool (Debian's
 * `prometheus` package; `npm test` installs it when missing, see
 * scripts/ensure-promtool.sh). That every metric they name is exported by the
 * apps is checked against the running apps: test/e2e/monitoring-metrics.e2e-spec.ts.
 */
const PROMTOOL = process.env.PROMTOOL_PATH ?? '/usr/bin/promtool';

function promtool(...args: string[]): { status: number | null; output: string } {
  if (!existsSync(PROMTOOL)) throw new Error(`${PROMTOOL} is missing: run scripts/ensure-promtool.sh (or set PROMTOOL_PATH)`);
  const result = spawnSync(PROMTOOL, args, { encoding: 'utf8' });
  return { status: result.status, output: `${result.stdout}${result.stderr}` };
}

/** GitHub's anchor for a Markdown heading. */
const anchorOf = (heading: string) =>
  heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .replace(/\s/g, '-');

describe(metricNamesIn.name, () => {
  it('finds the metrics of an expression, not its functions, labels, ranges or keywords', () => {
    const expr =
      'histogram_quantile(0.95, sum by (le, route) (rate(herald_http_request_duration_seconds_bucket{status=~"5..", route!="up"}[$__rate_interval])))' +
      ' / on (route) group_left sum without (instance) (rate(herald_http_requests_total[5m] offset 1h)) > 0.1 and up{job="x"} == 0';
    expect(metricNamesIn(expr)).toEqual(['herald_http_request_duration_seconds_bucket', 'herald_http_requests_total', 'up']);
  });
});

describe('Prometheus alert rules (deploy/prometheus/alerts.yml)', () => {
  const rules = readAlertRules();

  it('pass promtool check rules', () => {
    const result = promtool('check', 'rules', RULES_FILE);
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('pass their unit tests (promtool test rules deploy/prometheus/alerts.test.yml)', () => {
    const result = promtool('test', 'rules', RULE_TESTS_FILE);
    expect({ status: result.status, output: result.output }).toEqual({ status: 0, output: expect.stringContaining('SUCCESS') });
  });

  it('alert on the outbox age, dead letters, stalled jobs, the failed-job rate and worker readiness', () => {
    const watched = (metric: string) => rules.filter((rule) => metricNamesIn(rule.expr).includes(metric)).map((rule) => rule.alert);
    expect(watched('herald_outbox_oldest_pending_age_seconds')).toHaveLength(1);
    expect(watched('herald_outbox_dead')).toHaveLength(1);
    expect(watched('herald_jobs_stalled_total')).toHaveLength(1);
    expect(watched('herald_jobs_processed_total')).toHaveLength(1);
    expect(watched('herald_worker_ready')).toHaveLength(1);
  });

  it('give each alert a unit test that sees it fire and sees it silent', () => {
    const tests = (
      load(readFileSync(RULE_TESTS_FILE, 'utf8')) as {
        tests: { alert_rule_test?: { alertname: string; exp_alerts?: unknown[] }[] }[];
      }
    ).tests.flatMap((test) => test.alert_rule_test ?? []);
    for (const rule of rules) {
      const cases = tests.filter((test) => test.alertname === rule.alert);
      expect({ alert: rule.alert, fires: cases.some((test) => (test.exp_alerts ?? []).length > 0) }).toEqual({
        alert: rule.alert,
        fires: true,
      });
      expect({ alert: rule.alert, silent: cases.some((test) => (test.exp_alerts ?? []).length === 0) }).toEqual({
        alert: rule.alert,
        silent: true,
      });
    }
  });

  it.each(rules.map((rule) => [rule.alert, rule] as const))(
    '%s has a severity, a summary, a description and a runbook section',
    (_, rule) => {
      expect(rule.labels?.severity).toMatch(/^(warning|critical)$/);
      expect(rule.annotations?.summary).toBeTruthy();
      expect(rule.annotations?.description).toBeTruthy();
      const [file, anchor] = (rule.annotations?.runbook_url ?? '').split('#');
      expect(file).toMatch(/^runbooks\/[a-z-]+\.md$/);
      const headings = [...readFileSync(file!, 'utf8').matchAll(/^#{2,3} (.+)$/gm)].map((match) => anchorOf(match[1]!));
      expect(headings).toContain(anchor);
    },
  );

  it('are loaded by the example Prometheus configuration (promtool check config)', () => {
    const result = promtool('check', 'config', PROMETHEUS_CONFIG_FILE);
    expect({ status: result.status, output: result.output }).toEqual({
      status: 0,
      output: expect.stringContaining(`SUCCESS: ${rules.length} rules found`),
    });
  });
});

describe('Grafana dashboard (deploy/grafana/herald.json)', () => {
  const dashboard = readDashboard();
  const graphs = dashboard.panels.filter((panel) => panel.type !== 'row');

  it('is a dashboard with a title, a stable uid and a Prometheus data source variable', () => {
    expect(dashboard.title).toBe('herald');
    expect(dashboard.uid).toMatch(/^[a-z0-9-]{1,40}$/);
    expect(dashboard.schemaVersion).toBeGreaterThanOrEqual(36);
    expect(dashboard.templating.list).toContainEqual(
      expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' }),
    );
  });

  it('gives every panel a unique id, a place on the 24-column grid, the data source variable and at least one query', () => {
    const ids = dashboard.panels.map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    for (const panel of graphs) {
      const { x, w, h } = panel.gridPos;
      expect({ title: panel.title, fits: x >= 0 && w > 0 && h > 0 && x + w <= 24 }).toEqual({ title: panel.title, fits: true });
      expect({ title: panel.title, datasource: panel.datasource?.uid }).toEqual({ title: panel.title, datasource: '${datasource}' });
      expect({ title: panel.title, queries: (panel.targets ?? []).length > 0 }).toEqual({ title: panel.title, queries: true });
      const refIds = (panel.targets ?? []).map((target) => target.refId);
      expect(new Set(refIds).size).toBe(refIds.length);
    }
  });

  it('shows requests, commit-to-enqueue latency, the outbox backlog and age, jobs by outcome, stalled jobs and dead letters', () => {
    const used = new Set(dashboardQueries(dashboard).flatMap(metricNamesIn));
    for (const metric of [
      'herald_http_requests_total',
      'herald_http_request_duration_seconds_bucket',
      'herald_outbox_commit_to_enqueue_seconds_bucket',
      'herald_outbox_pending',
      'herald_outbox_oldest_pending_age_seconds',
      'herald_jobs_processed_total',
      'herald_jobs_stalled_total',
      'herald_outbox_dead',
      'herald_queue_jobs',
      'herald_worker_ready',
    ]) {
      expect({ metric, shown: used.has(metric) }).toEqual({ metric, shown: true });
    }
  });

  it('queries valid PromQL (each query checked by promtool as a recording rule)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'herald-dashboard-'));
    try {
      const file = join(dir, 'dashboard-queries.yml');
      const rules = dashboardQueries(dashboard).map((expr, i) => ({ record: `dashboard:query_${i}`, expr: asPlainPromql(expr) }));
      writeFileSync(file, dump({ groups: [{ name: 'dashboard', rules }] }));
      const result = promtool('check', 'rules', file);
      expect({ status: result.status, output: result.output }).toEqual({
        status: 0,
        output: expect.stringContaining(`SUCCESS: ${rules.length} rules found`),
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
