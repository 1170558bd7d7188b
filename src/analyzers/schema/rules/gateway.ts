/**
 * Gateway (networking.istio.io) semantic rules (../shared/docs/reference/analyzers.md §9 "Gateway"):
 * object name, servers, hosts, ports, binds and server TLS.
 */
import type { Resource } from '../../../manifests/types.js';
import { at, isDnsLabel, isIp, isSet, Issues, portError, quote } from './common.js';
import { isObject, list } from '../../../util/values.js';
import {
  checkNamespacedHost,
  checkProtocol,
  checkServerTls,
  isHttpFamily,
  isTlsFamily,
  protocolOf,
} from './common-net.js';
import type { SemanticIssue } from './types.js';

export function validateGateway(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  // The Gateway API kind of the same name is not schema-validated.
  if (resource.group !== 'networking.istio.io') return issues.list;
  const spec = isObject(resource.spec) ? resource.spec : {};
  // Lowercase, although istiod's own validation allows upper case: the API server refuses such an object
  // name, so no cluster holds it (a documented difference from istioctl, which says nothing offline)
  if (resource.name && !isDnsLabel(resource.name)) {
    issues.error(
      'metadata.name',
      `Gateway name "${resource.name}" must be a DNS label (lowercase letters, digits, '-'; no dots), because VirtualServices refer to gateways as namespace/name`,
    );
  }
  const servers = list(spec.servers);
  if (servers.length === 0) issues.error('spec.servers', 'a Gateway needs at least one server');
  const portNames = new Map<string, number>();
  servers.forEach((s, i) => {
    const p = at('spec.servers', i);
    if (!isObject(s)) {
      issues.error(p, 'server must not be empty (null)');
      return;
    }
    checkServer(issues, p, s);
    const name = isObject(s.port) ? s.port.name : undefined;
    if (typeof name === 'string' && name !== '') {
      const first = portNames.get(name);
      if (first !== undefined) {
        issues.error(
          at(p, 'port', 'name'),
          `port name "${name}" is already used by servers[${first}]; port names must be unique across servers`,
        );
      } else portNames.set(name, i);
    }
  });
  return issues.list;
}

function checkServer(issues: Issues, path: string, s: Record<string, any>): void {
  const hosts = list(s.hosts);
  if (hosts.length === 0) issues.error(at(path, 'hosts'), 'server needs at least one host ("*" for all)');
  hosts.forEach((h, i) =>
    checkNamespacedHost(issues, at(path, 'hosts', i), h, {
      requireNamespace: false,
      allowTilde: false,
      allowIp: true,
    }),
  );

  const port = s.port;
  const pp = at(path, 'port');
  const bind = typeof s.bind === 'string' ? s.bind : '';
  const unixBind = bind.startsWith('unix://');
  if (!isObject(port)) {
    issues.error(pp, 'server needs a port');
  } else {
    checkProtocol(issues, at(pp, 'protocol'), port.protocol, true);
    if (unixBind) {
      if (isSet(port.number)) {
        issues.error(
          at(pp, 'number'),
          `a server bound to a Unix domain socket (${bind}) listens on no TCP port; set number to 0`,
        );
      }
    } else {
      const err = portError(port.number);
      if (err) issues.error(at(pp, 'number'), err);
    }
    if (typeof port.name !== 'string' || port.name === '')
      issues.error(at(pp, 'name'), 'port name is required');
    if (port.targetPort !== undefined && port.targetPort !== null) {
      issues.error(at(pp, 'targetPort'), 'targetPort is not supported on Gateway servers');
    }
  }
  if (unixBind) {
    if (!bind.slice('unix://'.length).startsWith('/')) {
      issues.error(at(path, 'bind'), `bind "${bind}" must be unix:// followed by an absolute path`);
    }
  } else if (bind !== '' && !isIp(bind)) {
    issues.error(at(path, 'bind'), `bind "${bind}" must be an IP address or unix:///absolute/path`);
  }

  const protocol = isObject(port) ? protocolOf(port.protocol) : '';
  const tls = s.tls;
  const tp = at(path, 'tls');
  // as istiod: a warning on every server whose protocol is not HTTP, HTTP2, GRPC, GRPC-WEB or HTTP_PROXY
  if (isObject(port) && isObject(tls) && tls.httpsRedirect === true && !isHttpFamily(protocol)) {
    issues.warn(at(tp, 'httpsRedirect'), 'tls.httpsRedirect only has an effect on HTTP servers');
  }
  if (isTlsFamily(protocol)) {
    if (!isObject(tls)) {
      issues.error(tp, `a server with protocol ${protocol} needs tls settings`);
      return;
    }
    checkServerTls(issues, tp, tls);
  } else if (isObject(tls)) {
    const extra = Object.keys(tls).filter(
      (k) => k !== 'httpsRedirect' && tls[k] !== null && tls[k] !== undefined,
    );
    if (isHttpFamily(protocol)) {
      if (extra.length > 0) {
        issues.error(
          tp,
          `a plain-text ${protocol} server can only carry tls.httpsRedirect; remove ${extra.map((k) => quote(k)).join(', ')} or use protocol HTTPS`,
        );
      }
    } else if (protocol !== '') {
      issues.error(tp, `tls settings are only allowed on HTTPS or TLS servers, not on ${protocol}`);
    }
  }
}
