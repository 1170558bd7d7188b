/**
 * WorkloadGroup semantic rules (../shared/docs/reference/analyzers.md §9 "WorkloadGroup"): template,
 * metadata labels and the readiness probe.
 */
import type { Resource } from '../../../manifests/types.js';
import { at, checkLabels, isSet, Issues, portError, quote } from './common.js';
import { isObject, list, num } from '../../../util/values.js';
import type { SemanticIssue } from './types.js';
import { checkWorkloadEntry } from './workloadentry.js';

const PROBE_METHODS = ['httpGet', 'tcpSocket', 'exec', 'grpc'];
const PROBE_NUMBERS = [
  'initialDelaySeconds',
  'timeoutSeconds',
  'periodSeconds',
  'successThreshold',
  'failureThreshold',
];

export function validateWorkloadGroup(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  if (!isObject(spec.template)) issues.error('spec.template', 'template is required');
  else checkWorkloadEntry(issues, 'spec.template', spec.template, { addressOptional: true });
  if (isObject(spec.metadata)) checkLabels(issues, 'spec.metadata.labels', spec.metadata.labels);
  if (isObject(spec.probe)) checkProbe(issues, 'spec.probe', spec.probe);
  return issues.list;
}

function checkProbe(issues: Issues, path: string, probe: Record<string, any>): void {
  for (const f of PROBE_NUMBERS) {
    const v = probe[f];
    if (v === undefined || v === null) continue;
    const n = num(v);
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      issues.error(at(path, f), `${f} must be a non-negative integer, got ${quote(v)}`);
    }
  }
  const methods = PROBE_METHODS.filter((m) => isObject(probe[m]));
  if (methods.length === 0) {
    issues.error(path, `probe needs one of ${PROBE_METHODS.join(', ')}`);
  } else if (methods.length > 1) {
    issues.error(path, `probe can use only one of ${methods.join(', ')}`);
  }
  if (isObject(probe.httpGet)) {
    const h = probe.httpGet;
    const hp = at(path, 'httpGet');
    const err = portError(h.port);
    if (err) issues.error(at(hp, 'port'), err);
    if (isSet(h.scheme) && h.scheme !== 'HTTP' && h.scheme !== 'HTTPS') {
      issues.error(at(hp, 'scheme'), `scheme ${quote(h.scheme)} must be HTTP or HTTPS`);
    }
    list(h.httpHeaders).forEach((hdr, i) => {
      const name = isObject(hdr) ? hdr.name : undefined;
      if (!(typeof name === 'string' && /^[-A-Za-z0-9]+$/.test(name))) {
        issues.error(
          at(hp, 'httpHeaders', i, 'name'),
          `probe header name ${quote(name)} is invalid: use letters, digits and '-'`,
        );
      }
    });
  }
  if (isObject(probe.tcpSocket)) {
    const err = portError(probe.tcpSocket.port);
    if (err) issues.error(at(path, 'tcpSocket', 'port'), err);
  }
  if (isObject(probe.grpc)) {
    const err = portError(probe.grpc.port);
    if (err) issues.error(at(path, 'grpc', 'port'), err);
  }
  if (isObject(probe.exec) && list(probe.exec.command).length === 0) {
    issues.error(at(path, 'exec', 'command'), 'exec probe needs a command');
  }
}
