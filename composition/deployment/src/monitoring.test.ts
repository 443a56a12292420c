import { ErrorCode } from '@voiceassist/errors';
import { startSupergraph, type TestSupergraph } from '@voiceassist/test-supergraph';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { errorCodesIn, metricsIn, readAlertRules, readDashboardPanels } from './monitoring.js';

// The Grafana dashboard and the Prometheus alert rules read only metrics the services export:
// the names are taken from the registries of a running supergraph (router and every subgraph).

let supergraph: TestSupergraph;
/** Every series name the services export: a histogram's _bucket, _sum and _count, a summary's _sum and _count. */
const exported = new Set<string>();

beforeAll(async () => {
  supergraph = await startSupergraph();
  const registries = [supergraph.router.metrics.registry, ...Object.values(supergraph.subgraphs).map((s) => s.service.server.metrics.registry)];
  for (const registry of registries) {
    for (const { name, type: metricType } of await registry.getMetricsAsJSON()) {
      const type = String(metricType);
      exported.add(name);
      const suffixes = type === 'histogram' ? ['_bucket', '_sum', '_count'] : type === 'summary' ? ['_sum', '_count'] : [];
      for (const suffix of suffixes) exported.add(`${name}${suffix}`);
    }
  }
}, 120_000);

afterAll(async () => {
  await supergraph?.stop();
});

const rules = readAlertRules();
const panels = readDashboardPanels();
const expressions = [
  ...rules.map((rule) => ({ where: `alert ${rule.alert}`, expr: rule.expr })),
  ...panels.flatMap((panel) => panel.targets.map((target) => ({ where: `panel "${panel.title}" ${target.refId}`, expr: target.expr }))),
];

describe('monitoring', () => {
  it('reads the metrics of every service from a running supergraph', () => {
    for (const name of ['graphql_requests_total', 'router_subgraph_fetch_duration_seconds_bucket', 'subgraph_up', 'dependency_up', 'llm_tokens_total', 'llm_time_to_first_token_seconds_bucket', 'audit_chain_verifications_total', 'audit_chain_broken']) {
      expect(exported).toContain(name);
    }
  });

  it('uses only metrics the services export', () => {
    const unknown = expressions.flatMap(({ where, expr }) => metricsIn(expr).filter((metric) => !exported.has(metric)).map((metric) => `${where}: ${metric}`));
    expect(unknown).toEqual([]);
    for (const { where, expr } of expressions) expect(metricsIn(expr).length, `${where} reads a metric`).toBeGreaterThan(0);
  });

  it('matches only error codes of the registry', () => {
    const codes = new Set<string>(Object.values(ErrorCode));
    expect(expressions.flatMap(({ where, expr }) => errorCodesIn(expr).filter((code) => !codes.has(code)).map((code) => `${where}: ${code}`))).toEqual([]);
  });

  it('alerts on error rate, p95 latency, a subgraph down, Redis degraded, token budget exhaustion and a broken audit chain', () => {
    expect(rules.map((rule) => rule.alert).sort()).toEqual(
      ['VoiceAssistAuditChainBroken', 'VoiceAssistHighErrorRate', 'VoiceAssistHighLatencyP95', 'VoiceAssistRedisDegraded', 'VoiceAssistSubgraphDown', 'VoiceAssistTokenBudgetExhaustion'],
    );
    expect(metricsIn(rules.find((rule) => rule.alert === 'VoiceAssistAuditChainBroken')!.expr)).toEqual(['audit_chain_broken']);
    for (const rule of rules) {
      expect(rule.labels?.severity, rule.alert).toMatch(/^(page|warn|info)$/);
      expect(rule.annotations?.summary, rule.alert).toBeTruthy();
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/);
    }
  });

  it('has a dashboard panel per concern, each with a query', () => {
    expect(new Set(panels.map((panel) => panel.id)).size).toBe(panels.length);
    const used = new Set(panels.flatMap((panel) => panel.targets.flatMap((target) => metricsIn(target.expr))));
    for (const metric of [
      'graphql_requests_total',
      'graphql_errors_total',
      'graphql_request_duration_seconds_bucket',
      'router_subgraph_fetch_duration_seconds_bucket',
      'subgraph_up',
      'router_open_subscriptions',
      'dependency_up',
      'knowledge_cache_lookups_total',
      'llm_tokens_total',
      'llm_time_to_first_token_seconds_bucket',
      'audit_chain_verifications_total',
      'audit_chain_broken',
    ]) {
      expect(used, `a panel reads ${metric}`).toContain(metric);
    }
  });
});
