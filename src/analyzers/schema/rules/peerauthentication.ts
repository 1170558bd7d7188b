import type { Resource } from '../../../manifests/types.js';
import { at, isObject, Issues } from './common.js';
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
      issues.error('spec.portLevelMtls', 'port level mTLS, if defined, must have at least one element');
    else if (emptySelector)
      issues.error('spec.portLevelMtls', 'mesh/namespace peer authentication cannot have port level mTLS');
    for (const port of ports)
      if (!/^\d+$/.test(port) || Number(port) < 1 || Number(port) > 65535)
        issues.error(at('spec.portLevelMtls', port), `port must be in range 1..65535 (found ${port})`);
  }
  checkPolicySelector(issues, spec.selector);
  return issues.list;
}
