/**
 * The hookpost metric names that the shipped Grafana dashboard and Prometheus alert rules query, so
 * tests can check them against what the code registers (createMetrics) or serves (/metrics).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { parse as parseYaml } from 'yaml';

/** Repository root (this file lives in test/helpers/). */
export const REPO_ROOT = fileURLToPath(new URL('../../', import.meta.url));

/** The dashboard shipped for docker-compose; the Helm chart carries an identical copy. */
export const DASHBOARD_FILE = 'config/grafana/dashboards/hookpost.json';
/** The alert rules shipped for docker-compose; the Helm chart carries an identical copy. */
export const ALERTS_FILE = 'config/prometheus/alerts.yml';

const METRIC_NAME = /\bhookpost_[a-z0-9_]+/g;
const HISTOGRAM_SERIES_SUFFIX = /_(bucket|sum|count)$/;

/** Reads a file of the repository as UTF-8; `path` is relative to the repository root. */
export function readRepoFile(path: string): string {
  return readFileSync(join(REPO_ROOT, path), 'utf8');
}

/**
 * The family name a series name belongs to: `_bucket`, `_sum` and `_count` of a histogram are
 * stripped, so `hookpost_delivery_attempt_duration_seconds_bucket` gives
 * `hookpost_delivery_attempt_duration_seconds`. No hookpost metric ends in those words otherwise.
 */
export function metricFamilyName(seriesName: string): string {
  return seriesName.replace(HISTOGRAM_SERIES_SUFFIX, '');
}

/** Every PromQL expression of a parsed dashboard or rule file (`expr` fields and query strings). */
export function collectExpressions(node: unknown, out: string[] = []): string[] {
  if (Array.isArray(node)) {
    for (const item of node) collectExpressions(item, out);
  } else if (node !== null && typeof node === 'object') {
    for (const [key, value] of Object.entries(node)) {
      if ((key === 'expr' || key === 'query' || key === 'definition') && typeof value === 'string') out.push(value);
      else collectExpressions(value, out);
    }
  }
  return out;
}

/** Metric family names used in PromQL expressions, sorted and unique. */
export function metricNamesIn(expressions: readonly string[]): string[] {
  const names = new Set<string>();
  for (const expr of expressions) {
    for (const match of expr.matchAll(METRIC_NAME)) names.add(metricFamilyName(match[0]));
  }
  return [...names].sort();
}

/** The hookpost metric family names the dashboard queries. */
export function dashboardMetricNames(): string[] {
  return metricNamesIn(collectExpressions(JSON.parse(readRepoFile(DASHBOARD_FILE))));
}

/** The hookpost metric family names the alert rules query. */
export function alertMetricNames(): string[] {
  return metricNamesIn(collectExpressions(parseYaml(readRepoFile(ALERTS_FILE))));
}

/**
 * Every hookpost metric family name the shipped dashboard and alert rules query, sorted and unique
 * (histograms by family name, without `_bucket`). A running worker's or API's /metrics must expose
 * each of them (the queue gauges only once a queue reader is wired in).
 */
export function queriedMetricNames(): string[] {
  return [...new Set([...dashboardMetricNames(), ...alertMetricNames()])].sort();
}
