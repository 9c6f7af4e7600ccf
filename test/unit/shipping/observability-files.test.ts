import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { createMetrics } from '../../../src/observability/metrics.js';
import {
  ALERTS_FILE,
  alertMetricNames,
  collectExpressions,
  DASHBOARD_FILE,
  dashboardMetricNames,
  metricFamilyName,
  metricNamesIn,
  queriedMetricNames,
  REPO_ROOT,
  readRepoFile,
} from '../../helpers/metric-names.js';
import { findTool } from '../../helpers/tools.js';

interface Panel {
  type: string;
  title: string;
  datasource?: { uid?: string };
  targets?: { expr: string; datasource?: { uid?: string } }[];
}
interface Rule {
  alert?: string;
  expr: string;
  for?: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}

const dashboard = JSON.parse(readRepoFile(DASHBOARD_FILE)) as {
  schemaVersion: number;
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown }[] };
};
/** Grafana's reference to the dashboard's datasource variable (a literal, not a JS template). */
const DATASOURCE_VARIABLE = '$' + '{datasource}';
const rules = (parseYaml(readRepoFile(ALERTS_FILE)) as { groups: { name: string; rules: Rule[] }[] }).groups.flatMap((g) => g.rules);

async function registeredMetricNames(): Promise<string[]> {
  const registry = new Registry();
  createMetrics(registry);
  return (await registry.getMetricsAsJSON()).map((m) => m.name);
}

describe('metric names in the dashboard and alerts', () => {
  it('finds names in expressions and strips histogram suffixes', () => {
    expect(metricFamilyName('hookpost_delivery_attempt_duration_seconds_bucket')).toBe('hookpost_delivery_attempt_duration_seconds');
    expect(metricFamilyName('hookpost_deliveries_total')).toBe('hookpost_deliveries_total');
    expect(metricNamesIn(['sum(rate(hookpost_a_total[5m])) / hookpost_b_seconds_count', 'up{job="x"}'])).toEqual([
      'hookpost_a_total',
      'hookpost_b_seconds',
    ]);
    expect(collectExpressions({ a: [{ expr: 'x' }], b: { query: 'y' } })).toEqual(['x', 'y']);
  });

  it('queries the core delivery, queue and process metrics', () => {
    expect(dashboardMetricNames()).toEqual(
      expect.arrayContaining([
        'hookpost_deliveries_total',
        'hookpost_delivery_attempt_duration_seconds',
        'hookpost_delivery_retries_total',
        'hookpost_queue_jobs',
        'hookpost_queue_oldest_waiting_age_seconds',
        'hookpost_results_omitted_total',
        'hookpost_events_consumed_total',
        'hookpost_deliveries_parked_total',
        'hookpost_circuit_transitions_total',
        'hookpost_webhook_tests_total',
        'hookpost_process_cpu_seconds_total',
        'hookpost_nodejs_eventloop_lag_p99_seconds',
      ]),
    );
    expect(alertMetricNames().length).toBeGreaterThan(3);
  });

  it('every name the dashboard and alerts query is registered by createMetrics', async () => {
    const registered = await registeredMetricNames();
    expect(queriedMetricNames().filter((name) => !registered.includes(name))).toEqual([]);
  });
});

describe('Grafana dashboard', () => {
  it('is a schemaVersion 39 dashboard with a datasource template variable', () => {
    expect(dashboard.schemaVersion).toBe(39);
    expect(dashboard.uid).toBe('hookpost');
    expect(dashboard.templating.list).toEqual(
      expect.arrayContaining([expect.objectContaining({ name: 'datasource', type: 'datasource', query: 'prometheus' })]),
    );
  });

  it('every query panel and target uses the datasource variable', () => {
    const queryPanels = dashboard.panels.filter((p) => p.type !== 'row');
    expect(queryPanels.length).toBeGreaterThan(15);
    for (const panel of queryPanels) {
      expect(panel.datasource?.uid, panel.title).toBe(DATASOURCE_VARIABLE);
      expect(panel.targets?.length, panel.title).toBeGreaterThan(0);
      for (const target of panel.targets ?? []) expect(target.datasource?.uid, panel.title).toBe(DATASOURCE_VARIABLE);
    }
  });

  it('computes attempt latency quantiles from the histogram buckets', () => {
    const exprs = collectExpressions(dashboard);
    for (const q of ['0.5', '0.95', '0.99']) {
      expect(exprs.some((e) => e.startsWith(`histogram_quantile(${q}, sum by (le) (rate(hookpost_delivery_attempt_duration_seconds_bucket`))).toBe(true);
    }
  });

  it('aggregates the queue gauges with max, since every process reports the same queues', () => {
    for (const expr of collectExpressions(dashboard).filter((e) => e.includes('hookpost_queue_'))) {
      expect(expr, expr).toMatch(/^max(?: by \([a-z, ]+\))? ?\(hookpost_queue_/);
    }
  });

  it('panel ids are unique', () => {
    const ids = (dashboard.panels as unknown as { id: number }[]).map((p) => p.id);
    expect(new Set(ids).size).toBe(ids.length);
  });
});

describe('Prometheus alert rules', () => {
  it('cover failure ratio, backlog, stalled delivery and worker down', () => {
    expect(rules.map((r) => r.alert)).toEqual(
      expect.arrayContaining([
        'HookpostDeliveryFailureRatioHigh',
        'HookpostQueueBacklogGrowing',
        'HookpostQueueOldestWaitingHigh',
        'HookpostNoDeliveriesWhileEventsArrive',
        'HookpostWorkerDown',
        'HookpostWorkersAbsent',
      ]),
    );
  });

  it.each(rules.map((r) => [r.alert ?? '(recording rule)', r] as const))('%s has for, severity, summary, description and runbook', (_name, rule) => {
    expect(rule.alert).toMatch(/^Hookpost[A-Za-z]+$/);
    expect(rule.for).toMatch(/^\d+[smh]$/);
    expect(['critical', 'warning', 'info']).toContain(rule.labels?.['severity']);
    for (const key of ['summary', 'description', 'runbook']) expect(rule.annotations?.[key], key).toBeTruthy();
  });

  it('select the scrape jobs docker-compose and the ServiceMonitors define', () => {
    const prometheus = parseYaml(readRepoFile('config/prometheus/prometheus.yml')) as { scrape_configs: { job_name: string }[] };
    const jobs = prometheus.scrape_configs.map((s) => s.job_name);
    for (const expr of rules.map((r) => r.expr)) {
      for (const match of expr.matchAll(/job="([^"]+)"/g)) expect(jobs).toContain(match[1]);
    }
    const serviceLabels = ['service-api.yaml', 'service-worker-metrics.yaml'].map((f) => readRepoFile(`helm/hookpost/templates/${f}`));
    for (const job of jobs) expect(serviceLabels.some((s) => s.includes(`hookpost-job: ${job}`)), job).toBe(true);
  });

  it('each have a promtool unit test in which they fire', () => {
    const unitTests = parseYaml(readRepoFile('config/prometheus/alerts.test.yml')) as {
      tests: { alert_rule_test: { alertname: string; exp_alerts: unknown[] }[] }[];
    };
    const firing = new Set(unitTests.tests.flatMap((t) => t.alert_rule_test.filter((a) => a.exp_alerts.length > 0).map((a) => a.alertname)));
    for (const rule of rules) expect(firing.has(rule.alert ?? ''), rule.alert).toBe(true);
  });

  const promtool = findTool('promtool', ['--version'], 'prometheus');
  it.skipIf(promtool.skip)('pass promtool check rules and the promtool unit tests (needs promtool)', () => {
    promtool.require();
    const check = spawnSync('promtool', ['check', 'rules', join(REPO_ROOT, ALERTS_FILE)], { encoding: 'utf8' });
    expect(check.status, check.stdout + check.stderr).toBe(0);
    const test = spawnSync('promtool', ['test', 'rules', join(REPO_ROOT, 'config/prometheus/alerts.test.yml')], { encoding: 'utf8' });
    expect(test.status, test.stdout + test.stderr).toBe(0);
  });

  it.skipIf(promtool.skip)('a lone invalid event fires HookpostInvalidEvents, with the series a fresh registry really exports (needs promtool)', async () => {
    promtool.require();
    // Scrape a fresh registry, count one invalid event, scrape again: promtool gets those two values as
    // the series Prometheus would have stored (absent, `_`, when the first scrape lacked the series).
    const registry = new Registry();
    const metrics = createMetrics(registry, { defaultMetrics: false });
    const SERIES = 'hookpost_events_consumed_total{outcome="invalid"}';
    const scrape = async () => (await registry.metrics()).split('\n').find((line) => line.startsWith(`${SERIES} `))?.split(' ')[1] ?? '_';
    const before = await scrape();
    metrics.eventsConsumed.inc({ outcome: 'invalid' });
    const after = await scrape();
    expect(after).toBe('1');
    const dir = mkdtempSync(join(tmpdir(), 'hookpost-lone-event-'));
    try {
      const testFile = join(dir, 'lone-event.test.yml');
      writeFileSync(
        testFile,
        JSON.stringify({
          rule_files: [join(REPO_ROOT, ALERTS_FILE)],
          evaluation_interval: '1m',
          tests: [
            {
              interval: '1m',
              input_series: [
                { series: 'hookpost_events_consumed_total{job="hookpost-worker",instance="w1",outcome="invalid"}', values: `${before}x5 ${after}x20` },
              ],
              alert_rule_test: [
                {
                  eval_time: '10m',
                  alertname: 'HookpostInvalidEvents',
                  exp_alerts: [
                    {
                      exp_labels: { severity: 'info', service: 'hookpost' },
                      exp_annotations: {
                        summary: 'Producers push invalid events',
                        description:
                          "1 events failed validation in 15 minutes (namespace ); they are in the events queue's failed set and were not delivered.",
                        runbook:
                          'Read the validation error of a failed job in the events queue (failed set) and fix the producer; the event JSON Schema is config/event.schema.json.',
                      },
                    },
                  ],
                },
              ],
            },
          ],
        }),
      );
      const test = spawnSync('promtool', ['test', 'rules', testFile], { encoding: 'utf8' });
      expect(test.status, `first scrape: ${before}\n${test.stdout}${test.stderr}`).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it.skipIf(promtool.skip)('the dashboard queries are valid PromQL (promtool parses them as recording rules; needs promtool)', () => {
    promtool.require();
    const dir = mkdtempSync(join(tmpdir(), 'hookpost-dashboard-promql-'));
    try {
      const exprs = collectExpressions(dashboard.panels);
      expect(exprs.length).toBeGreaterThan(20);
      // Grafana's variables, replaced by what Grafana would send.
      const rulesFile = join(dir, 'dashboard-queries.yml');
      const records = exprs.map((expr, i) => ({
        record: `dashboard:query_${i}`,
        expr: expr.replaceAll('$__rate_interval', '1m').replaceAll('$__range', '1h').replaceAll('$namespace', '.*'),
      }));
      writeFileSync(rulesFile, JSON.stringify({ groups: [{ name: 'dashboard', rules: records }] }));
      const check = spawnSync('promtool', ['check', 'rules', rulesFile], { encoding: 'utf8' });
      expect(check.status, check.stdout + check.stderr).toBe(0);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
