import { parse } from 'yaml';
import { readRepoFile } from './workspace.js';

/** Where the Grafana dashboard and the Prometheus alert rules live, relative to the repo root. */
export const MONITORING_DIR = 'composition/deployment/monitoring';

export interface AlertRule {
  alert: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

export interface DashboardPanel {
  id: number;
  title: string;
  targets: Array<{ refId: string; expr: string }>;
}

export function readAlertRules(): AlertRule[] {
  const { groups } = parse(readRepoFile(`${MONITORING_DIR}/prometheus-alerts.yaml`)) as { groups: Array<{ name: string; rules: AlertRule[] }> };
  return groups.flatMap((group) => group.rules);
}

export function readDashboardPanels(): DashboardPanel[] {
  return (JSON.parse(readRepoFile(`${MONITORING_DIR}/grafana-dashboard.json`)) as { panels: DashboardPanel[] }).panels;
}

/** PromQL's functions, aggregations and keywords: every other word of an expression names a metric. */
const PROMQL_WORDS = new Set([
  'sum', 'min', 'max', 'avg', 'count', 'topk', 'bottomk', 'quantile', 'stddev',
  'rate', 'irate', 'increase', 'delta', 'histogram_quantile', 'clamp_min', 'clamp_max', 'abs', 'absent', 'vector', 'time',
  'by', 'without', 'on', 'ignoring', 'group_left', 'group_right', 'and', 'or', 'unless', 'bool', 'offset',
]);

/** The metric names a PromQL expression reads. */
export function metricsIn(expr: string): string[] {
  const words = expr
    .replace(/"(?:[^"\\]|\\.)*"/g, '""') // label values
    .replace(/\{[^}]*\}/g, '') // label matchers
    .replace(/\[[^\]]*\]/g, '') // ranges
    .replace(/\b(by|without|on|ignoring)\s*\([^)]*\)/g, '') // grouping labels
    .replace(/(?<![\w:])\d+(\.\d+)?(e[+-]?\d+)?/gi, '0'); // numbers, 1e-9 included
  return [...new Set([...words.matchAll(/[A-Za-z_:][A-Za-z0-9_:]*/g)].map((match) => match[0]).filter((word) => !PROMQL_WORDS.has(word)))];
}

/** The `code` label values an expression matches (code="X" or code=~"X|Y"). */
export function errorCodesIn(expr: string): string[] {
  return [...expr.matchAll(/\bcode=~?"([^"]*)"/g)].flatMap((match) => (match[1] ?? '').split('|'));
}
