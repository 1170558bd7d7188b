/**
 * Checks shared by several networking.istio.io kinds: protocol names, HTTP header names, namespaced hosts
 * (Gateway servers, Sidecar egress), the old-style `workloadSelector`, server-side TLS (Gateway and Sidecar
 * ingress) and connection pools (DestinationRule and Sidecar).
 */
import {
  at,
  checkDuration,
  checkSelectorLabels,
  isIstioLabel,
  isIp,
  isPartialWildcard,
  isSet,
  quote,
  wildcardDomainError,
  type Issues,
} from './common.js';
import { isObject, list, num, str } from '../../../util/values.js';

/** Istio port protocol names (compared case-insensitively; empty means "detect"). */
export const PROTOCOLS = [
  'HTTP',
  'HTTPS',
  'HTTP2',
  'GRPC',
  'GRPC-WEB',
  'TCP',
  'TLS',
  'UDP',
  'MONGO',
  'REDIS',
  'MYSQL',
  'HTTP_PROXY',
] as const;

export function protocolOf(v: unknown): string {
  return typeof v === 'string' ? v.toUpperCase() : '';
}

export function checkProtocol(issues: Issues, path: string, protocol: unknown, required = false): void {
  if (protocol === undefined || protocol === null || protocol === '') {
    if (required) issues.error(path, `port protocol is required: use one of ${PROTOCOLS.join(', ')}`);
    return;
  }
  if (!(PROTOCOLS as readonly string[]).includes(protocolOf(protocol))) {
    issues.error(path, `unknown protocol ${quote(protocol)}: use one of ${PROTOCOLS.join(', ')}`);
  }
}

/** HTTP-family protocols (plain-text HTTP routing applies). */
export function isHttpFamily(protocol: string): boolean {
  return ['HTTP', 'HTTP2', 'GRPC', 'GRPC-WEB', 'HTTP_PROXY'].includes(protocol);
}

/** TLS-family protocols (SNI routing applies). */
export function isTlsFamily(protocol: string): boolean {
  return protocol === 'HTTPS' || protocol === 'TLS';
}

const HTTP_TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;

/** An HTTP header name (RFC 7230 token). */
export function isHeaderName(name: string): boolean {
  return HTTP_TOKEN.test(name);
}

/**
 * Checks a `namespace/dnsName` host (Gateway server hosts, Sidecar egress hosts). The namespace part is `*`,
 * `.`, or a namespace name (with `allowTilde`, optionally prefixed by `~`); the DNS part must contain a dot
 * unless it is `*`, be a (prefix-)wildcard domain (or, with `allowIp`, an IP), and carry no partial wildcard.
 */
export function checkNamespacedHost(
  issues: Issues,
  path: string,
  host: unknown,
  opts: { requireNamespace: boolean; allowTilde: boolean; allowIp?: boolean },
): void {
  if (typeof host !== 'string' || host === '') {
    issues.error(path, 'host must be a non-empty string of the form namespace/dnsName');
    return;
  }
  const parts = host.split('/');
  if (parts.length > 2 || (parts.length === 1 && opts.requireNamespace)) {
    issues.error(path, `host "${host}" must be of the form namespace/dnsName (e.g. "*/foo.example.com")`);
    return;
  }
  const dns = parts.length === 2 ? parts[1]! : parts[0]!;
  if (parts.length === 2) {
    const tilde = opts.allowTilde && parts[0]!.startsWith('~');
    const ns = tilde ? parts[0]!.slice(1) : parts[0]!;
    if (!(tilde && ns === '') && ns !== '*' && ns !== '.' && !isIstioLabel(ns)) {
      issues.error(
        path,
        `host "${host}": namespace "${parts[0]}" is invalid: use "*", ".", or a namespace name${opts.allowTilde ? ' (optionally prefixed by "~")' : ''}`,
      );
      return;
    }
  }
  if (dns === '*') return;
  if (!dns.includes('.')) {
    issues.error(path, `host "${host}": "${dns}" must be a fully qualified name with a dot (or "*")`);
  } else if (isPartialWildcard(dns)) {
    issues.error(
      path,
      `host "${host}": partial wildcard "${dns}" is not supported; use "*" or a "*." prefix`,
    );
  } else if (!(opts.allowIp && isIp(dns))) {
    const err = wildcardDomainError(dns);
    if (err) issues.error(path, `host "${host}": ${err}`);
  }
}

/**
 * The older `workloadSelector: {labels: …}` of Sidecar, ServiceEntry, EnvoyFilter and DestinationRule: no
 * empty keys or wildcards; without labels it applies to the whole namespace (warning).
 */
export function checkWorkloadSelector(issues: Issues, path: string, selector: unknown, kind: string): void {
  checkSelectorLabels(
    issues,
    path,
    selector,
    'labels',
    `workloadSelector has no labels, so this ${kind} applies to every workload in its namespace; remove the selector or add labels`,
  );
}

// ---------------------------------------------------------------------------------------------------
// Server-side TLS (Gateway servers, Sidecar ingress listeners)
// ---------------------------------------------------------------------------------------------------

/** Cipher suite names Envoy (BoringSSL) accepts. */
const CIPHER_SUITES = new Set([
  'ECDHE-ECDSA-AES128-GCM-SHA256',
  'ECDHE-RSA-AES128-GCM-SHA256',
  'ECDHE-ECDSA-AES256-GCM-SHA384',
  'ECDHE-RSA-AES256-GCM-SHA384',
  'ECDHE-ECDSA-CHACHA20-POLY1305',
  'ECDHE-RSA-CHACHA20-POLY1305',
  'ECDHE-PSK-CHACHA20-POLY1305',
  'ECDHE-ECDSA-AES128-SHA',
  'ECDHE-RSA-AES128-SHA',
  'ECDHE-PSK-AES128-CBC-SHA',
  'ECDHE-ECDSA-AES256-SHA',
  'ECDHE-RSA-AES256-SHA',
  'ECDHE-PSK-AES256-CBC-SHA',
  'AES128-GCM-SHA256',
  'AES256-GCM-SHA384',
  'AES128-SHA',
  'PSK-AES128-CBC-SHA',
  'AES256-SHA',
  'PSK-AES256-CBC-SHA',
  'DES-CBC3-SHA',
]);

const TLS_VERSIONS = ['TLS_AUTO', 'TLSV1_0', 'TLSV1_1', 'TLSV1_2', 'TLSV1_3'];

/** Checks the ServerTLSSettings rules shared by Gateway servers and Sidecar ingress listeners. */
export function checkServerTls(issues: Issues, path: string, tls: Record<string, any>): void {
  const mode = str(tls.mode) ?? 'PASSTHROUGH';
  const min = str(tls.minProtocolVersion) ?? 'TLS_AUTO';
  const max = str(tls.maxProtocolVersion) ?? 'TLS_AUTO';
  const suites = list(tls.cipherSuites);
  if ((min === 'TLSV1_0' || min === 'TLSV1_1') && suites.length === 0) {
    issues.warn(
      at(path, 'minProtocolVersion'),
      `minProtocolVersion ${min} allows legacy TLS with the default cipher suites; set cipherSuites explicitly or use TLSV1_2 or later`,
    );
  }
  if (min !== 'TLS_AUTO' && max !== 'TLS_AUTO' && TLS_VERSIONS.indexOf(min) > TLS_VERSIONS.indexOf(max)) {
    issues.warn(
      at(path, 'maxProtocolVersion'),
      `maxProtocolVersion ${max} is lower than minProtocolVersion ${min}; no TLS version can be negotiated`,
    );
  }
  const seenSuites = new Set<string>();
  suites.forEach((s, i) => {
    const p = at(path, 'cipherSuites', i);
    const names = typeof s === 'string' ? s.replace(/^\[|\]$/g, '').split('|') : [String(s)];
    if (typeof s !== 'string' || names.some((n) => !CIPHER_SUITES.has(n))) {
      issues.warn(p, `unknown cipher suite ${quote(s)}; it will be ignored`);
    } else if (seenSuites.has(s)) {
      issues.warn(p, `duplicate cipher suite "${s}"`);
    }
    if (typeof s === 'string') seenSuites.add(s);
  });

  const certFields = [
    'serverCertificate',
    'privateKey',
    'caCertificates',
    'tlsCertificates',
    'credentialName',
    'credentialNames',
  ] as const;
  if (mode === 'ISTIO_MUTUAL') {
    for (const f of certFields) {
      if (isSet(tls[f])) {
        issues.error(
          at(path, f),
          `${f} cannot be set with mode ISTIO_MUTUAL, which uses the workload's Istio certificates`,
        );
      }
    }
    return;
  }
  if (mode === 'PASSTHROUGH' || mode === 'AUTO_PASSTHROUGH') {
    for (const f of certFields) {
      if (isSet(tls[f])) {
        issues.warn(at(path, f), `${f} is ignored with mode ${mode}: TLS is not terminated here`);
      }
    }
    return;
  }

  const sources = [
    isSet(tls.serverCertificate) || isSet(tls.privateKey) ? 'serverCertificate/privateKey' : '',
    isSet(tls.credentialName) ? 'credentialName' : '',
    isSet(tls.credentialNames) ? 'credentialNames' : '',
    isSet(tls.tlsCertificates) ? 'tlsCertificates' : '',
  ].filter(Boolean);
  if (sources.length > 1) {
    issues.error(path, `only one certificate source may be set, found ${sources.join(', ')}`);
  }
  const hasCredential = isSet(tls.credentialName) || isSet(tls.credentialNames);
  const mutual = mode === 'MUTUAL' || mode === 'OPTIONAL_MUTUAL';
  if (!hasCredential) {
    const certs = list(tls.tlsCertificates);
    if (certs.length > 0) {
      if (certs.length > 2) {
        issues.warn(
          at(path, 'tlsCertificates'),
          `${certs.length} tlsCertificates given; at most two (one RSA and one ECDSA) are used`,
        );
      }
      certs.forEach((c, i) => {
        for (const f of ['serverCertificate', 'privateKey']) {
          if (!isObject(c) || !isSet(c[f])) {
            issues.error(
              at(path, 'tlsCertificates', i),
              `tlsCertificates entry needs ${f} with mode ${mode}`,
            );
          }
        }
      });
    } else {
      for (const f of ['serverCertificate', 'privateKey']) {
        if (!isSet(tls[f])) {
          issues.error(path, `mode ${mode} needs ${f} (or credentialName pointing at a secret)`);
        }
      }
    }
    const caInEntries = certs.length > 0 && certs.every((c) => isObject(c) && isSet(c.caCertificates));
    if (mutual && !isSet(tls.caCertificates) && !caInEntries) {
      issues.error(
        path,
        `mode ${mode} needs caCertificates to verify client certificates (or credentialName)`,
      );
    }
  }
  if (isSet(tls.caCrl)) {
    if (hasCredential) {
      issues.error(
        at(path, 'caCrl'),
        'caCrl cannot be combined with credentialName; put the CRL in the credential secret (ca.crl)',
      );
    } else if (mode === 'SIMPLE') {
      issues.error(at(path, 'caCrl'), 'caCrl has no effect with mode SIMPLE, which does not verify clients');
    }
  }
}

// ---------------------------------------------------------------------------------------------------
// Connection pools (DestinationRule traffic policies, Sidecar ingress and inbound pools)
// ---------------------------------------------------------------------------------------------------

function checkNonNegative(issues: Issues, path: string, v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  const n = num(v);
  if (n === undefined || !Number.isInteger(n) || n < 0) {
    issues.error(path, `${field} must be a non-negative integer, got ${quote(v)}`);
  }
}

export function checkConnectionPool(issues: Issues, path: string, pool: unknown): void {
  if (!isObject(pool)) return;
  if (!isObject(pool.http) && !isObject(pool.tcp)) {
    issues.error(path, 'connectionPool must set http or tcp settings');
    return;
  }
  if (isObject(pool.http)) {
    const h = pool.http;
    const hp = at(path, 'http');
    for (const f of [
      'http1MaxPendingRequests',
      'http2MaxRequests',
      'maxRequestsPerConnection',
      'maxRetries',
      'maxConcurrentStreams',
    ]) {
      if (h[f] != null) checkNonNegative(issues, at(hp, f), h[f], f);
    }
    if (h.idleTimeout != null) checkDuration(issues, at(hp, 'idleTimeout'), h.idleTimeout);
    if (isObject(h.http2KeepAlive)) {
      const kp = at(hp, 'http2KeepAlive');
      for (const f of ['interval', 'timeout']) {
        const v = h.http2KeepAlive[f];
        if (v === undefined || v === null) issues.error(kp, `http2KeepAlive needs ${f}`);
        else checkDuration(issues, at(kp, f), v);
      }
    }
    if (h.h2UpgradePolicy === 'UPGRADE' && h.useClientProtocol === true) {
      issues.error(
        at(hp, 'useClientProtocol'),
        'useClientProtocol cannot be combined with h2UpgradePolicy UPGRADE: the first would keep HTTP/1.1, the second forces HTTP/2',
      );
    }
    const ka = isObject(h.http2ProtocolOptions) ? h.http2ProtocolOptions.connectionKeepalive : undefined;
    if (isObject(ka)) {
      const kp = at(hp, 'http2ProtocolOptions', 'connectionKeepalive');
      for (const f of ['interval', 'timeout']) {
        if (ka[f] === undefined || ka[f] === null) issues.error(kp, `connectionKeepalive needs ${f}`);
        else checkDuration(issues, at(kp, f), ka[f]);
      }
    }
  }
  if (isObject(pool.tcp)) {
    const t = pool.tcp;
    const tp = at(path, 'tcp');
    // (paths are built only for fields that are set)
    if (t.maxConnections != null)
      checkNonNegative(issues, at(tp, 'maxConnections'), t.maxConnections, 'maxConnections');
    if (t.connectTimeout != null) checkDuration(issues, at(tp, 'connectTimeout'), t.connectTimeout);
    if (t.maxConnectionDuration != null)
      checkDuration(issues, at(tp, 'maxConnectionDuration'), t.maxConnectionDuration);
    if (t.idleTimeout != null)
      checkDuration(issues, at(tp, 'idleTimeout'), t.idleTimeout, { allowZero: true });
    if (isObject(t.tcpKeepalive)) {
      const kp = at(tp, 'tcpKeepalive');
      checkNonNegative(issues, at(kp, 'probes'), t.tcpKeepalive.probes, 'probes');
      checkDuration(issues, at(kp, 'time'), t.tcpKeepalive.time);
      checkDuration(issues, at(kp, 'interval'), t.tcpKeepalive.interval);
    }
  }
}
