/**
 * WorkloadEntry semantic rules (../shared/docs/reference/analyzers.md §9 "WorkloadEntry"); the same checks
 * apply to ServiceEntry endpoints.
 */
import type { Resource } from '../../../manifests/types.js';
import { at, checkLabels, fqdnError, isIstioLabel, isIp, Issues, portError, quote } from './common.js';
import { isObject, keysOf } from '../../../util/values.js';
import type { SemanticIssue } from './types.js';

export interface WorkloadEntryOptions {
  /** ServiceEntry STATIC endpoints: the address must be an IP (or a Unix socket). */
  ipOnly?: boolean;
  /** WorkloadGroup templates: the address is filled in per workload, so it may be absent. */
  addressOptional?: boolean;
}

/** Checks one WorkloadEntry spec (a WorkloadEntry's `spec`, or a ServiceEntry endpoint) at `path`. */
export function checkWorkloadEntry(
  issues: Issues,
  path: string,
  we: Record<string, any>,
  opts: WorkloadEntryOptions = {},
): void {
  const address = we.address;
  const ap = at(path, 'address');
  if (address === undefined || address === null || address === '') {
    if (opts.addressOptional) {
      // a template's address is filled in when a workload registers
    } else if (typeof we.network === 'string' && we.network !== '') {
      issues.warn(
        ap,
        `no address: the workload is only reachable through the gateway of network "${we.network}"`,
      );
    } else {
      issues.error(ap, 'address is required (unless network is set)');
    }
  } else if (typeof address !== 'string') {
    issues.error(ap, `address ${quote(address)} must be a string`);
  } else if (address.startsWith('unix://')) {
    if (!address.slice('unix://'.length).startsWith('/')) {
      issues.error(ap, `address "${address}" must be unix:// followed by an absolute path`);
    }
    if (keysOf(we.ports).length > 0) {
      issues.error(at(path, 'ports'), 'ports cannot be set for a Unix domain socket address');
    }
  } else if (!isIp(address)) {
    const err = opts.ipOnly ? `"${address}" is not an IP address` : fqdnError(address);
    if (err) {
      issues.error(
        ap,
        `address must be ${opts.ipOnly ? 'an IP address (resolution STATIC)' : 'an IP address or a DNS name'}: ${err}`,
      );
    }
  }
  for (const name of keysOf(we.ports)) {
    const port = we.ports[name];
    const p = at(path, 'ports', name);
    if (!isIstioLabel(name)) {
      issues.error(p, `port name "${name}" is invalid: use a DNS label (letters, digits, '-')`);
    }
    const err = portError(port);
    if (err) issues.error(p, err);
  }
  checkLabels(issues, at(path, 'labels'), we.labels);
}

export function validateWorkloadEntry(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  checkWorkloadEntry(issues, 'spec', isObject(resource.spec) ? resource.spec : {});
  return issues.list;
}
