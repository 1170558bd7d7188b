/** ProxyConfig semantic rules (../shared/docs/reference/analyzers.md §9 "ProxyConfig"). */
import type { Resource } from '../../../manifests/types.js';
import { checkSelectorLabels, Issues, quote } from './common.js';
import { isObject, num } from '../../../util/values.js';
import type { SemanticIssue } from './types.js';

export function validateProxyConfig(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  checkSelectorLabels(
    issues,
    'spec.selector',
    spec.selector,
    'matchLabels',
    'selector has no matchLabels, so this ProxyConfig applies to every workload in its namespace; remove the selector or add labels',
  );
  const c = spec.concurrency;
  if (c !== undefined && c !== null) {
    const n = num(c);
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      issues.error(
        'spec.concurrency',
        `concurrency must be a non-negative integer (0 = one worker per CPU), got ${quote(c)}`,
      );
    }
  }
  return issues.list;
}
