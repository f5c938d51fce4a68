import { readFileSync } from 'node:fs';
import { load } from 'js-yaml';

/** The files operators load into Grafana and Prometheus. */
export const DASHBOARD_FILE = 'deploy/grafana/herald.json';
export const RULES_FILE = 'deploy/prometheus/alerts.yml';
export const RULE_TESTS_FILE = 'deploy/prometheus/alerts.test.yml';
export const PROMETHEUS_CONFIG_FILE = 'deploy/prometheus/prometheus.yml';

/** Series Prometheus makes itself for every target; no app exports them. */
export const PROMETHEUS_SERIES = ['up'];

export interface DashboardTarget {
  refId: string;
  expr: string;
  legendFormat?: string;
  datasource?: { type: string; uid: string };
}
export interface DashboardPanel {
  id: number;
  type: string;
  title: string;
  description?: string;
  gridPos: { h: number; w: number; x: number; y: number };
  datasource?: { type: string; uid: string };
  targets?: DashboardTarget[];
}
export interface Dashboard {
  title: string;
  uid: string;
  schemaVersion: number;
  templating: { list: { name: string; type: string; query: string }[] };
  panels: DashboardPanel[];
}
export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export const readDashboard = () => JSON.parse(readFileSync(DASHBOARD_FILE, 'utf8')) as Dashboard;
export const readAlertRules = () =>
  (load(readFileSync(RULES_FILE, 'utf8')) as { groups: { name: string; rules: AlertRule[] }[] }).groups.flatMap((group) => group.rules);

/** Every PromQL query of the dashboard's panels. */
export const dashboardQueries = (dashboard = readDashboard()) =>
  dashboard.panels.flatMap((panel) => (panel.targets ?? []).map((target) => target.expr));

/** Grafana's variables replaced by what Prometheus would get, so the query parses as plain PromQL. */
export const asPlainPromql = (expr: string) => expr.replace(/\$__rate_interval|\$__interval|\$__range/g, '5m');

const NOT_METRICS = new Set(['and', 'or', 'unless', 'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'offset', 'bool']);

/**
 * The metric names a PromQL expression selects: what is left once strings,
 * label matchers, ranges, grouping clauses, function names and keywords are
 * taken out. Enough for the expressions of a dashboard and alert rules.
 */
export function metricNamesIn(expr: string): string[] {
  const selectorsOnly = asPlainPromql(expr)
    .replace(/"(?:[^"\\]|\\.)*"|'(?:[^'\\]|\\.)*'|`[^`]*`/g, '""')
    .replace(/\{[^}]*\}/g, ' ')
    .replace(/\[[^\]]*\]/g, ' ')
    .replace(/\b(?:by|without|on|ignoring|group_left|group_right)\s*\([^)]*\)/g, ' ');
  const names = [...selectorsOnly.matchAll(/\b[a-zA-Z_][a-zA-Z0-9_:]*\b(?!\s*\()/g)].map((match) => match[0]);
  return [...new Set(names.filter((name) => !NOT_METRICS.has(name)))].sort();
}

/**
 * The series names a Prometheus text exposition offers: each metric of a
 * `# TYPE` line (a histogram's also as _bucket, _sum and _count; a summary's
 * as _sum and _count), declared even before it has a sample.
 */
export function exposedSeriesNames(exposition: string): Set<string> {
  const names = new Set<string>();
  for (const [, name, type] of exposition.matchAll(/^# TYPE (\S+) (\S+)$/gm)) {
    names.add(name!);
    if (type === 'histogram') for (const suffix of ['_bucket', '_sum', '_count']) names.add(`${name}${suffix}`);
    if (type === 'summary') for (const suffix of ['_sum', '_count']) names.add(`${name}${suffix}`);
  }
  return names;
}

/** Every metric name the dashboard and the alert rules use, with where. */
export function monitoredMetricNames(): Map<string, string[]> {
  const uses = new Map<string, string[]>();
  const record = (names: string[], where: string) => {
    for (const name of names) uses.set(name, [...(uses.get(name) ?? []), where]);
  };
  for (const panel of readDashboard().panels)
    for (const target of panel.targets ?? []) record(metricNamesIn(target.expr), `panel "${panel.title}"`);
  for (const rule of readAlertRules()) record(metricNamesIn(rule.expr), `alert ${rule.alert}`);
  return uses;
}
