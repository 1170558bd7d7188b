import type { Resource } from '../../../manifests/types.js';
import { at, Issues } from './common.js';
import { isObject } from '../../../util/values.js';
import { checkPolicySelector } from './common-sec.js';
import type { SemanticIssue } from './types.js';

/**
 * PeerAuthentication rules (analyzers.md §9): port-level mTLS needs a workload selector with labels,
 * must not be an empty map, and its keys are ports 1–65535; selector rules.
 */
export function validatePeerAuthentication(resource: Resource): SemanticIssue[] {
  const spec = resource.spec;
  if (!isObject(spec)) return [];
  const issues = new Issues();
  const portLevel = spec.portLevelMtls;
  if (isObject(portLevel)) {
    const ports = Object.keys(portLevel);
    const labels = isObject(spec.selector) ? spec.selector.matchLabels : undefined;
    const emptySelector = !isObject(labels) || Object.keys(labels).length === 0;
    if (ports.length === 0)
      issues.error('spec.portLevelMtls', 'portLevelMtls is empty; remove it or list at least one port');
    else if (emptySelector)
      issues.error(
        'spec.portLevelMtls',
        'portLevelMtls needs a selector with matchLabels: a mesh-wide or namespace-wide PeerAuthentication ' +
          'cannot set per-port modes',
      );
    for (const port of ports)
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
        issues.error(
          at('spec.portLevelMtls', port),
          `portLevelMtls key "${port}" is not a port number (1-65535)`,
        );
  }
  checkPolicySelector(issues, spec.selector);
  return issues.list;
}
