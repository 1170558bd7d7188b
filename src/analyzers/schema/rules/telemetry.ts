import type { Resource } from '../../../manifests/types.js';
import { at, Issues } from './common.js';
import { isObject, keysOf, list } from '../../../util/values.js';
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
      issues.error(
        at(path, 'providers', k, 'name'),
        'a provider reference needs the `name` of an extension provider from mesh config',
      );
  });
}

function checkTracing(issues: Issues, tracing: unknown): void {
  const items = list(tracing);
  if (items.length > 1)
    issues.warn(
      'spec.tracing',
      `${items.length} tracing entries found; Istio supports only one per Telemetry`,
    );
  items.forEach((t, i) => {
    if (!isObject(t)) return;
    const path = at('spec.tracing', i);
    if (list(t.providers).length > 1)
      issues.warn(
        at(path, 'providers'),
        'several tracing providers found; Istio supports only one per tracing entry',
      );
    checkProviders(issues, path, t.providers);
    const pct = t.randomSamplingPercentage;
    if (typeof pct === 'number' && (pct < 0 || pct > 100))
      issues.error(
        at(path, 'randomSamplingPercentage'),
        `randomSamplingPercentage is ${pct}; it must be between 0 and 100`,
      );
    for (const name of keysOf(t.customTags)) {
      const tag = t.customTags[name];
      const tagPath = at(path, 'customTags', name);
      if (name === '') issues.error(tagPath, 'customTags has an entry with an empty tag name');
      if (!isObject(tag)) {
        if (tag === null)
          issues.error(tagPath, `custom tag "${name}" has no value; set literal, environment or header`);
        continue;
      }
      if (isObject(tag.literal) && text(tag.literal.value) === '')
        issues.error(at(tagPath, 'literal', 'value'), `custom tag "${name}" needs a non-empty literal value`);
      if (isObject(tag.header) && text(tag.header.name) === '')
        issues.error(
          at(tagPath, 'header', 'name'),
          `custom tag "${name}" needs the name of the header to read`,
        );
      if (isObject(tag.environment) && text(tag.environment.name) === '')
        issues.error(
          at(tagPath, 'environment', 'name'),
          `custom tag "${name}" needs the name of the environment variable to read`,
        );
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
        if (o === null) issues.error(oPath, 'an overrides entry cannot be null');
        return;
      }
      for (const tag of keysOf(o.tagOverrides)) {
        const override = o.tagOverrides[tag];
        const tPath = at(oPath, 'tagOverrides', tag);
        if (tag === '') issues.warn(tPath, 'tagOverrides has an entry with an empty tag name');
        if (!isObject(override)) {
          if (override === null)
            issues.error(tPath, `tag override "${tag}" cannot be null; set its operation (UPSERT or REMOVE)`);
          continue;
        }
        const operation = text(override.operation) || 'UPSERT';
        const value = text(override.value);
        if (operation === 'UPSERT' && value === '')
          issues.error(
            at(tPath, 'value'),
            `tag override "${tag}" uses operation UPSERT, which needs a value (a CEL expression)`,
          );
        if (operation === 'REMOVE' && value !== '')
          issues.error(
            at(tPath, 'value'),
            `tag override "${tag}" removes the tag (operation REMOVE), so it takes no value`,
          );
      }
      if (isObject(o.match) && o.match.customMetric === '')
        issues.error(
          at(oPath, 'match', 'customMetric'),
          'match.customMetric is empty; give the name of the custom metric',
        );
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
        issues.error(at(path, 'filter', 'expression'), `the filter expression is not valid CEL: ${problem}`);
    }
    checkProviders(issues, path, l.providers);
  });
}
