/**
 * ServiceEntry semantic rules (../shared/docs/reference/analyzers.md §9 "ServiceEntry"): hosts,
 * addresses, ports, endpoints per resolution mode, workloadSelector and exportTo. The metadata-based rules
 * (auto-allocation opt-out label, `istio.io/use-waypoint`) belong to the admission webhook and do not run
 * here, as in istioctl analyze.
 */
import type { Resource } from '../../../manifests/types.js';
import {
  at,
  checkItemName,
  checkExportTo,
  fqdnError,
  ipOrCidrError,
  isPartialWildcard,
  isSet,
  isValidPort,
  Issues,
  portError,
  quote,
  wildcardDomainError,
} from './common.js';
import { isObject, keysOf, list, str } from '../../../util/values.js';
import { checkProtocol, checkWorkloadSelector, isHttpFamily, isTlsFamily, protocolOf } from './common-net.js';
import type { SemanticIssue } from './types.js';
import { checkWorkloadEntry } from './workloadentry.js';

const DYNAMIC_DNS_PROTOCOLS = ['HTTP', 'HTTP2', 'GRPC', 'TLS'];

export function validateServiceEntry(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  const resolution = str(spec.resolution) ?? 'NONE';
  const hosts = list(spec.hosts);
  const addresses = list(spec.addresses);
  const endpoints = list(spec.endpoints);
  const ports = list(spec.ports);
  const hasSelector = spec.workloadSelector !== undefined && spec.workloadSelector !== null;

  if (hasSelector) {
    const before = issues.list.length;
    checkWorkloadSelector(issues, 'spec.workloadSelector', spec.workloadSelector, 'ServiceEntry');
    if (issues.list.some((i, k) => k >= before && i.level === 'error')) return issues.list;
    if (endpoints.length > 0) {
      issues.error('spec.workloadSelector', 'workloadSelector and endpoints cannot both be set');
    }
  }

  if (hosts.length === 0) issues.error('spec.hosts', 'a ServiceEntry needs at least one host');
  hosts.forEach((h, i) => {
    const p = at('spec.hosts', i);
    if (typeof h !== 'string') issues.error(p, `host ${quote(h)} must be a string`);
    else if (h === '*') issues.error(p, 'host "*" is not allowed in a ServiceEntry; name the external hosts');
    else {
      const err = wildcardDomainError(h);
      if (err) issues.error(p, err);
      // istiod warns about a partial wildcard even when the host is invalid for it anyway (`a*.example.com`)
      if (isPartialWildcard(h) && resolution !== 'DYNAMIC_DNS') {
        issues.warn(
          p,
          `host "${h}" is a partial wildcard, which only resolution DYNAMIC_DNS supports; use "*.domain"`,
        );
      }
    }
  });

  addresses.forEach((a, i) => {
    const p = at('spec.addresses', i);
    const err = typeof a === 'string' ? ipOrCidrError(a) : `address ${quote(a)} must be a string`;
    if (err) issues.error(p, err);
    else if (a.includes('/') && resolution !== 'NONE' && resolution !== 'STATIC') {
      issues.error(p, `CIDR address "${a}" requires resolution NONE or STATIC (resolution is ${resolution})`);
    }
  });

  checkPorts(issues, ports, addresses.length > 0, resolution);
  const portNames = new Set(ports.filter(isObject).map((p) => p.name));

  switch (resolution) {
    case 'NONE':
      if (endpoints.length > 0)
        issues.error(
          'spec.endpoints',
          'endpoints are not allowed with resolution NONE (traffic goes to the address the client connected to)',
        );
      if (hasSelector) {
        issues.warn('spec.workloadSelector', 'workloadSelector has no effect with resolution NONE');
      }
      break;
    case 'STATIC':
      endpoints.forEach((ep, i) => {
        const p = at('spec.endpoints', i);
        if (!isObject(ep)) {
          issues.error(p, 'endpoint must not be empty (null)');
          return;
        }
        checkWorkloadEntry(issues, p, ep, { ipOnly: true });
        checkEndpointPortNames(issues, p, ep, portNames);
        if (typeof ep.address === 'string' && ep.address.startsWith('unix://') && ports.length !== 1) {
          issues.error(
            p,
            `a Unix socket endpoint needs exactly one ServiceEntry port, found ${ports.length}`,
          );
        }
      });
      break;
    case 'DNS':
    case 'DNS_ROUND_ROBIN':
      if (endpoints.length === 0) {
        hosts.forEach((h, i) => {
          // hosts that are not valid names at all are reported above; a wildcard is no DNS name to look up
          // (Istio's message speaks of "prefix wildcards", but its check refuses them too: `*.example.com`
          // is rejected with `label "*" invalid`, as the testbed's istioctl shows)
          if (typeof h !== 'string' || h === '*' || wildcardDomainError(h)) return;
          const err = fqdnError(h);
          if (err) {
            issues.error(
              at('spec.hosts', i),
              `with resolution ${resolution} and no endpoints, hosts must be DNS names: ${err}`,
            );
          }
        });
      }
      if (resolution === 'DNS_ROUND_ROBIN' && endpoints.length > 1) {
        issues.error(
          'spec.endpoints',
          `resolution DNS_ROUND_ROBIN allows at most one endpoint, found ${endpoints.length}`,
        );
      }
      endpoints.forEach((ep, i) => {
        const p = at('spec.endpoints', i);
        if (!isObject(ep)) {
          issues.error(p, 'endpoint must not be empty (null)');
          return;
        }
        checkWorkloadEntry(issues, p, ep);
        checkEndpointPortNames(issues, p, ep, portNames);
      });
      if (
        addresses.length > 0 &&
        hosts.length > 1 &&
        ports.some((p) => isObject(p) && isTcpLike(p.protocol))
      ) {
        issues.warn(
          'spec.hosts',
          'multiple hosts share the addresses of a TCP port; traffic to them cannot be told apart',
        );
      }
      break;
    case 'DYNAMIC_DNS':
      hosts.forEach((h, i) => {
        if (typeof h === 'string' && !h.startsWith('*')) {
          issues.error(
            at('spec.hosts', i),
            `resolution DYNAMIC_DNS needs wildcard hosts (e.g. "*.example.com"), not "${h}"`,
          );
        }
      });
      if (addresses.length > 0)
        issues.error(
          'spec.addresses',
          'addresses are not allowed with resolution DYNAMIC_DNS (traffic is matched by host name only)',
        );
      if (endpoints.length > 0)
        issues.error(
          'spec.endpoints',
          'endpoints are not allowed with resolution DYNAMIC_DNS (the destination is looked up in DNS per request)',
        );
      ports.forEach((p, i) => {
        if (isObject(p) && !DYNAMIC_DNS_PROTOCOLS.includes(protocolOf(p.protocol))) {
          issues.error(
            at('spec.ports', i, 'protocol'),
            `resolution DYNAMIC_DNS supports only ${DYNAMIC_DNS_PROTOCOLS.join(', ')} ports, not ${quote(p.protocol ?? '')}`,
          );
        }
      });
      break;
  }

  // with addresses too (they do not tell the hosts apart either); one finding, at the first such port,
  // as istiod refuses the ServiceEntry once
  if (resolution !== 'NONE' && hosts.length > 1) {
    // (a null port is reported by checkPorts)
    const i = ports.findIndex(
      (p) => isObject(p) && !isHttpFamily(protocolOf(p.protocol)) && !isTlsFamily(protocolOf(p.protocol)),
    );
    if (i >= 0) {
      const p = ports[i];
      issues.error(
        at('spec.ports', i),
        `with several hosts and resolution ${resolution}, every port must be HTTP or TLS so traffic can be told apart by Host or SNI; port ${quote(p.name ?? p.number)} is ${protocolOf(p.protocol) || 'unset'}`,
      );
    }
  }

  checkExportTo(issues, 'spec.exportTo', spec.exportTo, resource.namespace, true);
  return issues.list;
}

function isTcpLike(protocol: unknown): boolean {
  const p = protocolOf(protocol);
  return p === '' || p === 'TCP';
}

/** A port protocol Istio's no-addresses check reads as TCP: none, or `TCP` exactly as written. */
const TCP_AS_WRITTEN: ReadonlySet<unknown> = new Set([undefined, null, '', 'TCP']);

function checkPorts(issues: Issues, ports: any[], hasAddresses: boolean, resolution: string): void {
  const names = new Map<string, number>();
  const numbers = new Map<number, number>();
  ports.forEach((port, i) => {
    const p = at('spec.ports', i);
    if (!isObject(port)) {
      issues.error(p, 'port must not be empty (null)');
      return;
    }
    checkItemName(issues, at(p, 'name'), 'port', port.name, names, 'ports', i);
    const err = portError(port.number);
    if (err) issues.error(at(p, 'number'), err);
    else if (numbers.has(port.number)) {
      issues.error(
        at(p, 'number'),
        `duplicate port number ${port.number} (also ports[${numbers.get(port.number)}])`,
      );
    } else numbers.set(port.number, i);
    checkProtocol(issues, at(p, 'protocol'), port.protocol);
    if (isSet(port.targetPort)) {
      const terr = portError(port.targetPort);
      if (terr) issues.error(at(p, 'targetPort'), `targetPort: ${terr}`);
    }
    // Istio's check compares the name as written: `tcp` is TCP elsewhere, but does not get this warning
    // (nor does istioctl give it; the serviceentry analyzer's IST0134 still does)
    if (
      !hasAddresses &&
      resolution === 'NONE' &&
      TCP_AS_WRITTEN.has(port.protocol) &&
      isValidPort(port.number)
    ) {
      issues.warn(
        p,
        `port ${port.number} is TCP (or has no protocol) but the ServiceEntry has no addresses and resolution NONE gets no auto-allocated IP, so it will match all traffic to port ${port.number}; add addresses or use an HTTP/TLS protocol`,
      );
    }
  });
}

/** Each endpoint port (STATIC, DNS, DNS_ROUND_ROBIN resolution) must name one of the ServiceEntry's ports. */
function checkEndpointPortNames(
  issues: Issues,
  path: string,
  ep: Record<string, any>,
  portNames: Set<string>,
): void {
  for (const name of keysOf(ep.ports)) {
    if (!portNames.has(name)) {
      issues.error(
        at(path, 'ports', name),
        `endpoint port "${name}" does not name any of the ServiceEntry's ports`,
      );
    }
  }
}
