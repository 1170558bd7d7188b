/**
 * Sidecar semantic rules (../shared/docs/reference/analyzers.md §9 "Sidecar"): ingress and egress
 * listeners, their ports, binds, hosts and TLS, outbound traffic policy and connection pools.
 */
import type { Resource } from '../../../manifests/types.js';
import { at, fqdnError, isIstioLabel, isIp, isSet, Issues, portError, quote } from './common.js';
import { isObject, list, str } from '../../../util/values.js';
import {
  checkConnectionPool,
  checkNamespacedHost,
  checkProtocol,
  checkServerTls,
  checkWorkloadSelector,
  isHttpFamily,
  isTlsFamily,
  protocolOf,
} from './common-net.js';
import type { SemanticIssue } from './types.js';

const LOCAL_ENDPOINT_HOSTS = ['127.0.0.1', '0.0.0.0', '::1', '::', ''];

export function validateSidecar(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  if (
    !isSet(spec.egress) &&
    !isSet(spec.ingress) &&
    !isObject(spec.outboundTrafficPolicy) &&
    !isObject(spec.inboundConnectionPool)
  ) {
    issues.error(
      'spec',
      'a Sidecar needs at least one of egress, ingress, outboundTrafficPolicy or inboundConnectionPool',
    );
  }
  checkWorkloadSelector(issues, 'spec.workloadSelector', spec.workloadSelector, 'Sidecar');
  checkIngress(issues, list(spec.ingress));
  checkEgress(issues, list(spec.egress), resource.namespace ?? 'default');
  checkOutboundTrafficPolicy(issues, 'spec.outboundTrafficPolicy', spec.outboundTrafficPolicy);
  checkConnectionPool(issues, 'spec.inboundConnectionPool', spec.inboundConnectionPool);
  return issues.list;
}

function checkPortCommon(issues: Issues, path: string, port: Record<string, any>): void {
  if (isSet(port.name) && !(typeof port.name === 'string' && isIstioLabel(port.name))) {
    issues.error(
      at(path, 'name'),
      `port name ${quote(port.name)} is invalid: use a DNS label (letters, digits, '-')`,
    );
  }
  checkProtocol(issues, at(path, 'protocol'), port.protocol);
  if (port.targetPort !== undefined && port.targetPort !== null) {
    issues.error(at(path, 'targetPort'), 'targetPort is not supported on Sidecar listeners');
  }
}

function checkBindIp(issues: Issues, path: string, bind: unknown): void {
  if (isSet(bind) && !(typeof bind === 'string' && isIp(bind))) {
    issues.error(path, `bind ${quote(bind)} must be an IP address`);
  }
}

/** `unix:///abs/path`, or `[host]:port` / `host:port` with a loopback or any-address host (or none). */
function defaultEndpointError(ep: string): string | undefined {
  if (ep.startsWith('unix://')) {
    return ep.slice('unix://'.length).startsWith('/')
      ? undefined
      : 'a unix:// endpoint needs an absolute path';
  }
  const colon = ep.lastIndexOf(':');
  if (colon < 0) return 'expected host:port (e.g. 127.0.0.1:8080) or unix:///path';
  const host = ep.slice(0, colon).replace(/^\[(.*)\]$/, '$1');
  const port = Number(ep.slice(colon + 1));
  if (!LOCAL_ENDPOINT_HOSTS.includes(host)) {
    return `host "${host}" must be 127.0.0.1, 0.0.0.0, ::1 or :: (the workload itself)`;
  }
  return portError(port);
}

function checkIngress(issues: Issues, ingress: any[]): void {
  const ports = new Map<number, number>();
  ingress.forEach((l, i) => {
    const p = at('spec.ingress', i);
    if (!isObject(l)) {
      issues.error(p, 'ingress listener must not be empty (null)');
      return;
    }
    const port = l.port;
    if (!isObject(port)) issues.error(at(p, 'port'), 'ingress listener needs a port');
    else {
      checkPortCommon(issues, at(p, 'port'), port);
      const err = portError(port.number);
      if (err) issues.error(at(p, 'port', 'number'), err);
      else if (ports.has(port.number)) {
        issues.error(
          at(p, 'port', 'number'),
          `port ${port.number} is already used by ingress[${ports.get(port.number)}]`,
        );
      } else ports.set(port.number, i);
    }
    checkBindIp(issues, at(p, 'bind'), l.bind);
    if (isSet(l.defaultEndpoint)) {
      const err =
        typeof l.defaultEndpoint === 'string' ? defaultEndpointError(l.defaultEndpoint) : 'must be a string';
      if (err)
        issues.error(
          at(p, 'defaultEndpoint'),
          `defaultEndpoint ${quote(l.defaultEndpoint)} is invalid: ${err}`,
        );
    }
    const protocol = isObject(port) ? protocolOf(port.protocol) : '';
    if (isObject(l.tls)) checkIngressTls(issues, at(p, 'tls'), l.tls, protocol);
    checkConnectionPool(issues, at(p, 'connectionPool'), l.connectionPool);
    if (isObject(l.connectionPool) && isObject(l.connectionPool.http) && !isHttpFamily(protocol)) {
      issues.warn(
        at(p, 'connectionPool', 'http'),
        `HTTP connection pool settings have no effect on a ${protocol || 'protocol-less'} port`,
      );
    }
  });
}

function checkIngressTls(issues: Issues, path: string, tls: Record<string, any>, protocol: string): void {
  for (const f of [
    'subjectAltNames',
    'httpsRedirect',
    'credentialName',
    'credentialNames',
    'tlsCertificates',
  ]) {
    if (isSet(tls[f])) issues.error(at(path, f), `${f} is not supported for Sidecar ingress TLS`);
  }
  if (!isTlsFamily(protocol)) {
    issues.error(path, `ingress TLS needs the port protocol to be HTTPS or TLS, not ${protocol || 'unset'}`);
  }
  const mode = str(tls.mode);
  if (mode === 'ISTIO_MUTUAL' || mode === 'AUTO_PASSTHROUGH') {
    issues.error(
      at(path, 'mode'),
      `mode ${mode} is not supported for Sidecar ingress TLS; use SIMPLE or MUTUAL`,
    );
  } else checkServerTls(issues, path, tls);
}

function checkEgress(issues: Issues, egress: any[], namespace: string): void {
  const ports = new Map<number, number>();
  const unixBinds = new Map<string, number>();
  let portless = -1;
  egress.forEach((l, i) => {
    const p = at('spec.egress', i);
    if (!isObject(l)) {
      issues.error(p, 'egress listener must not be empty (null)');
      return;
    }
    const bind = typeof l.bind === 'string' ? l.bind : '';
    const port = l.port;
    if (!isObject(port)) {
      if (portless >= 0) {
        issues.error(p, `only one egress listener may omit the port (egress[${portless}] already does)`);
      } else if (i !== egress.length - 1) {
        issues.error(p, 'the egress listener without a port catches everything and must be the last one');
      }
      portless = i;
    } else {
      const pp = at(p, 'port');
      checkPortCommon(issues, pp, port);
      if (!isSet(port.number)) {
        if (!bind.startsWith('unix://')) {
          issues.error(at(pp, 'number'), 'port 0 is only allowed with a unix:// bind');
        } else if (isSet(l.captureMode) && l.captureMode !== 'DEFAULT' && l.captureMode !== 'NONE') {
          issues.error(
            at(p, 'captureMode'),
            `a unix:// listener needs captureMode DEFAULT or NONE, not ${l.captureMode}`,
          );
        }
        if (unixBinds.has(bind)) {
          issues.error(
            at(p, 'bind'),
            `unix bind "${bind}" is already used by egress[${unixBinds.get(bind)}]`,
          );
        } else unixBinds.set(bind, i);
      } else {
        const err = portError(port.number);
        if (err) issues.error(at(pp, 'number'), err);
        else if (ports.has(port.number)) {
          issues.error(
            at(pp, 'number'),
            `port ${port.number} is already used by egress[${ports.get(port.number)}]`,
          );
        } else ports.set(port.number, i);
      }
    }
    if (!bind.startsWith('unix://')) checkBindIp(issues, at(p, 'bind'), l.bind);
    else if (!bind.slice('unix://'.length).startsWith('/')) {
      issues.error(at(p, 'bind'), `bind "${bind}" must be unix:// followed by an absolute path`);
    }
    checkEgressHosts(issues, at(p, 'hosts'), list(l.hosts), namespace);
  });
}

// Duplicates as istiod finds them, per namespace (`.` is the Sidecar's own; `*` is a namespace of its own
// here, and `~` entries are skipped): a host already listed, a host after `ns/*`, or `ns/*` after any host of
// `ns`; and `*/*` next to a host of another namespace.
function checkEgressHosts(issues: Issues, path: string, hosts: any[], namespace: string): void {
  if (hosts.length === 0) issues.error(path, 'egress listener needs at least one host ("namespace/dnsName")');
  const byNamespace = new Map<string, Map<string, number>>();
  hosts.forEach((h, i) => {
    const p = at(path, i);
    checkNamespacedHost(issues, p, h, { requireNamespace: true, allowTilde: true });
    if (typeof h !== 'string') return;
    const slash = h.indexOf('/');
    if (slash < 0 || h.startsWith('~')) return;
    const ns = h.slice(0, slash) === '.' ? namespace : h.slice(0, slash);
    const dns = h.slice(slash + 1);
    const seen = byNamespace.get(ns) ?? new Map<string, number>();
    byNamespace.set(ns, seen);
    const same = seen.get(dns);
    const all = seen.get('*');
    if (dns !== '*' && same !== undefined) {
      issues.warn(p, `duplicate host "${h}" (also hosts[${same}])`);
    } else if (dns !== '*' && all !== undefined) {
      issues.warn(
        p,
        `host "${h}" is redundant: hosts[${all}] "${hosts[all]}" already imports every host of its namespace`,
      );
    } else if (dns === '*' && seen.size > 0) {
      const first = seen.values().next().value!;
      issues.warn(
        p,
        `"${h}" imports every host of its namespace, so hosts[${first}] "${hosts[first]}" is redundant`,
      );
    }
    if (!seen.has(dns)) seen.set(dns, i);
  });
  const all = byNamespace.get('*')?.get('*');
  if (all !== undefined && byNamespace.size > 1) {
    issues.warn(
      at(path, all),
      '"*/*" already imports every host; the hosts of other namespaces in this listener are redundant',
    );
  }
}

function checkOutboundTrafficPolicy(issues: Issues, path: string, otp: unknown): void {
  if (!isObject(otp)) return;
  const mode = str(otp.mode) ?? 'REGISTRY_ONLY';
  if (mode === 'ALLOW_ANY_DYNAMIC_DNS') {
    issues.error(
      at(path, 'mode'),
      'mode ALLOW_ANY_DYNAMIC_DNS is not supported in a Sidecar; use ALLOW_ANY or REGISTRY_ONLY',
    );
  }
  const proxy = otp.egressProxy;
  if (!isObject(proxy)) return;
  const pp = at(path, 'egressProxy');
  if (mode !== 'ALLOW_ANY')
    issues.error(pp, `egressProxy only applies with mode ALLOW_ANY (mode is ${mode})`);
  const host = str(proxy.host);
  if (!host) issues.error(at(pp, 'host'), 'egressProxy needs a host');
  else {
    const err = fqdnError(host);
    if (err) issues.error(at(pp, 'host'), err);
  }
  if (isSet(proxy.subset) && !(typeof proxy.subset === 'string' && isIstioLabel(proxy.subset))) {
    issues.error(at(pp, 'subset'), `subset ${quote(proxy.subset)} is not a valid subset name (DNS label)`);
  }
  if (!isObject(proxy.port) || !isSet(proxy.port.number))
    issues.error(at(pp, 'port'), 'egressProxy needs port.number');
  else {
    const err = portError(proxy.port.number);
    if (err) issues.error(at(pp, 'port', 'number'), err);
  }
}
