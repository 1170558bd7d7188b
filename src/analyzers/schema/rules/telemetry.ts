import type { Resource } from '../../../manifests/types.js';
import { at, entries, isObject, Issues, list } from './common.js';
import { checkTargeting, text } from './common-sec.js';
import { celSyntaxError } from './telemetry-cel.js';
import type { SemanticIssue } from './types.js';

/**
 * Telemetry rules (analyzers.md §9): targeting, provider references, tracing (entry/provider counts,
 * sampling percentage, custom tags), metrics overrides, and access-log filters (CEL syntax).
 */
export function validateTelemetry(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  checkTargeting(issues, spec);
  checkMetrics(issues, spec.metrics);
  checkTracing(issues, spec.tracing);
  checkAccessLogging(issues, spec.accessLogging);
  return issues.list;
}

function checkProviders(issues: Issues, path: string, providers: unknown): void {
  list(providers).forEach((p, k) => {
    if (!isObject(p) || text(p.name) === '')
      issues.error(at(path, 'providers', k, 'name'), 'providers.name may not be empty');
  });
}

function checkTracing(issues: Issues, tracing: unknown): void {
  const items = list(tracing);
  if (items.length > 1) issues.warn('spec.tracing', 'multiple tracing is not currently supported');
  items.forEach((t, i) => {
    if (!isObject(t)) return;
    const path = at('spec.tracing', i);
    if (list(t.providers).length > 1)
      issues.warn(at(path, 'providers'), 'multiple providers is not currently supported');
    checkProviders(issues, path, t.providers);
    const pct = t.randomSamplingPercentage;
    if (typeof pct === 'number' && (pct < 0 || pct > 100))
      issues.error(
        at(path, 'randomSamplingPercentage'),
        `randomSamplingPercentage must be in range [0.0, 100.0] (found ${pct})`,
      );
    for (const [name, tag] of entries(t.customTags)) {
      const tagPath = at(path, 'customTags', name);
      if (name === '') issues.error(tagPath, 'tag name may not be empty');
      if (!isObject(tag)) {
        if (tag === null) issues.error(tagPath, `tag '${name}' may not have a nil value`);
        continue;
      }
      if (isObject(tag.literal) && text(tag.literal.value) === '')
        issues.error(at(tagPath, 'literal', 'value'), 'literal tag value may not be empty');
      if (isObject(tag.header) && text(tag.header.name) === '')
        issues.error(at(tagPath, 'header', 'name'), 'header tag name may not be empty');
      if (isObject(tag.environment) && text(tag.environment.name) === '')
        issues.error(at(tagPath, 'environment', 'name'), 'environment tag name may not be empty');
    }
  });
}

function checkMetrics(issues: Issues, metrics: unknown): void {
  list(metrics).forEach((m, i) => {
    if (!isObject(m)) return;
    const path = at('spec.metrics', i);
    checkProviders(issues, path, m.providers);
    list(m.overrides).forEach((o, j) => {
      const oPath = at(path, 'overrides', j);
      if (!isObject(o)) {
        if (o === null) issues.error(oPath, 'overrides may not be null');
        return;
      }
      for (const [tag, override] of entries(o.tagOverrides)) {
        const tPath = at(oPath, 'tagOverrides', tag);
        if (tag === '') issues.warn(tPath, 'tagOverrides.name may not be empty');
        if (!isObject(override)) {
          if (override === null) issues.error(tPath, 'tagOverrides may not be null');
          continue;
        }
        const operation = text(override.operation) || 'UPSERT';
        const value = text(override.value);
        if (operation === 'UPSERT' && value === '')
          issues.error(at(tPath, 'value'), 'tagOverrides.value must be set when operation is UPSERT');
        if (operation === 'REMOVE' && value !== '')
          issues.error(at(tPath, 'value'), 'tagOverrides.value may only be set when operation is UPSERT');
      }
      if (isObject(o.match) && o.match.customMetric === '')
        issues.error(at(oPath, 'match', 'customMetric'), 'customMetric may not be empty');
    });
  });
}

function checkAccessLogging(issues: Issues, logging: unknown): void {
  list(logging).forEach((l, i) => {
    if (!isObject(l)) return;
    const path = at('spec.accessLogging', i);
    if (isObject(l.filter)) {
      const problem = celSyntaxError(text(l.filter.expression));
      if (problem)
        issues.error(at(path, 'filter', 'expression'), `must be a valid CEL expression, ${problem}`);
    }
    checkProviders(issues, path, l.providers);
  });
}
