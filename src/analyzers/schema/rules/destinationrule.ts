/**
 * DestinationRule semantic rules (../shared/docs/reference/analyzers.md §9 "DestinationRule"): host,
 * subsets, exportTo, workloadSelector, and traffic policies (connection pool, outlier detection, load
 * balancer with locality settings, port-level settings, client TLS, tunnel and PROXY protocol).
 */
import type { Resource } from '../../../manifests/types.js';
import {
  at,
  checkItemName,
  checkDuration,
  durationError,
  checkExportTo,
  checkLabels,
  checkSelectorLabels,
  fqdnError,
  isIp,
  isSet,
  Issues,
  portError,
  quote,
  wildcardDomainError,
} from './common.js';
import { isObject, keysOf, list, num, str } from '../../../util/values.js';
import { checkConnectionPool } from './common-net.js';
import type { SemanticIssue } from './types.js';

const TOPOLOGY_LABELS = [
  'topology.kubernetes.io/region',
  'topology.kubernetes.io/zone',
  'topology.istio.io/subzone',
];
const MAGLEV_MAX_TABLE = 5000011;

export function validateDestinationRule(resource: Resource): SemanticIssue[] {
  const issues = new Issues();
  const spec = isObject(resource.spec) ? resource.spec : {};
  const ns = resource.namespace;

  const host = spec.host;
  if (typeof host !== 'string' || host === '') issues.error('spec.host', 'host is required');
  else {
    const err = wildcardDomainError(host);
    if (err) issues.error('spec.host', err);
  }

  checkExportTo(issues, 'spec.exportTo', spec.exportTo, ns, false);
  if (spec.workloadSelector !== undefined && spec.workloadSelector !== null) {
    checkSelectorLabels(
      issues,
      'spec.workloadSelector',
      spec.workloadSelector,
      'matchLabels',
      'workloadSelector has no matchLabels, so this DestinationRule applies to every workload in its namespace; remove the selector or add labels',
    );
    list(spec.exportTo).forEach((e, i) => {
      if (e !== '.' && (ns === undefined || e !== ns)) {
        issues.error(
          at('spec.exportTo', i),
          `a DestinationRule with workloadSelector can only be exported to its own namespace ("."), not ${quote(e)}`,
        );
      }
    });
  }

  checkTrafficPolicy(issues, ns, 'spec.trafficPolicy', spec.trafficPolicy);

  const names = new Map<string, number>();
  list(spec.subsets).forEach((s, i) => {
    const p = at('spec.subsets', i);
    if (!isObject(s)) {
      issues.error(p, 'subset must not be empty (null)');
      return;
    }
    checkItemName(issues, at(p, 'name'), 'subset', s.name, names, 'subsets', i);
    checkLabels(issues, at(p, 'labels'), s.labels);
    errorsOnly(issues, (sink) => checkTrafficPolicy(sink, ns, at(p, 'trafficPolicy'), s.trafficPolicy));
  });
  return issues.list;
}

/**
 * The issues of a subset's traffic policy and of a port-level setting, as istiod reports them: errors
 * only. Its validation joins those two as plain errors, which drops their warnings (a deprecated
 * `minimumRingSize` or `consecutiveErrors`, failover without outlier detection); the top-level policy's
 * warnings are reported. (Both merge with the top-level policy, so "no outlierDetection in the same
 * traffic policy" would not hold there anyway.)
 */
function errorsOnly(issues: Issues, check: (sink: Issues) => void): void {
  const sink = new Issues();
  check(sink);
  for (const issue of sink.list) if (issue.level === 'error') issues.add(issue);
}

// ---------------------------------------------------------------------------------------------------
// Traffic policies
// ---------------------------------------------------------------------------------------------------

function checkTrafficPolicy(issues: Issues, ns: string | undefined, path: string, tp: unknown): void {
  if (tp === undefined || tp === null) return;
  if (!isObject(tp) || Object.values(tp).every((v) => v === null || v === undefined)) {
    issues.error(path, 'trafficPolicy is empty; set at least one of its fields or remove it');
    return;
  }
  if (isObject(tp.tunnel) && isObject(tp.proxyProtocol)) {
    issues.error(path, 'tunnel and proxyProtocol cannot both be set');
  }
  checkProxyProtocol(issues, at(path, 'proxyProtocol'), tp.proxyProtocol);
  checkTunnel(issues, at(path, 'tunnel'), tp.tunnel);
  checkPolicyParts(issues, ns, path, tp);
  list(tp.portLevelSettings).forEach((pl, i) => {
    const p = at(path, 'portLevelSettings', i);
    if (!isObject(pl)) {
      issues.error(p, 'portLevelSettings entry must not be empty (null)');
      return;
    }
    // istiod requires the port selector but does not check its number (`number: 0` is accepted)
    if (!isObject(pl.port)) {
      issues.error(p, 'portLevelSettings entry needs port.number');
    } else if (isSet(pl.port.number)) {
      const err = portError(pl.port.number);
      if (err) issues.error(at(p, 'port', 'number'), err);
    }
    if (!['outlierDetection', 'connectionPool', 'loadBalancer', 'tls'].some((f) => isObject(pl[f]))) {
      issues.error(
        p,
        'portLevelSettings entry must set outlierDetection, connectionPool, loadBalancer or tls',
      );
    }
    errorsOnly(issues, (sink) => checkPolicyParts(sink, ns, p, pl));
  });
}

/** The parts a traffic policy and a port-level setting have in common. */
function checkPolicyParts(
  issues: Issues,
  ns: string | undefined,
  path: string,
  tp: Record<string, any>,
): void {
  checkConnectionPool(issues, at(path, 'connectionPool'), tp.connectionPool);
  checkOutlierDetection(issues, at(path, 'outlierDetection'), tp.outlierDetection);
  checkLoadBalancer(issues, at(path, 'loadBalancer'), tp.loadBalancer, isObject(tp.outlierDetection));
  checkClientTls(issues, ns, at(path, 'tls'), tp.tls);
}

function checkProxyProtocol(issues: Issues, path: string, pp: unknown): void {
  if (!isObject(pp) || pp.version === undefined || pp.version === null) return;
  if (!['V1', 'V2', 0, 1].includes(pp.version)) {
    issues.error(at(path, 'version'), `proxyProtocol version ${quote(pp.version)} must be V1 or V2`);
  }
}

function checkTunnel(issues: Issues, path: string, t: unknown): void {
  if (!isObject(t)) return;
  if (isSet(t.protocol) && t.protocol !== 'CONNECT' && t.protocol !== 'POST') {
    issues.error(at(path, 'protocol'), `tunnel protocol ${quote(t.protocol)} must be CONNECT or POST`);
  }
  const host = str(t.targetHost);
  if (!host) issues.error(at(path, 'targetHost'), 'tunnel needs targetHost');
  else if (!isIp(host)) {
    const err = fqdnError(host);
    if (err) issues.error(at(path, 'targetHost'), `tunnel targetHost must be an IP or FQDN: ${err}`);
  }
  const err = portError(t.targetPort);
  if (err) issues.error(at(path, 'targetPort'), `tunnel targetPort: ${err}`);
}

function checkPercent(issues: Issues, path: string, v: unknown, field: string): void {
  if (v === undefined || v === null) return;
  const n = num(v);
  if (n === undefined || n < 0 || n > 100)
    issues.error(path, `${field} ${quote(v)} must be between 0 and 100`);
}

function checkOutlierDetection(issues: Issues, path: string, od: unknown): void {
  if (!isObject(od)) return;
  for (const f of [
    'consecutiveErrors',
    'consecutive5xxErrors',
    'consecutiveGatewayErrors',
    'consecutiveLocalOriginFailures',
  ]) {
    const v = od[f];
    if (v === undefined || v === null) continue;
    const n = num(v);
    if (n === undefined || !Number.isInteger(n) || n < 0) {
      issues.error(at(path, f), `${f} must be a non-negative integer, got ${quote(v)}`);
    }
  }
  if (isSet(od.consecutiveErrors)) {
    issues.warn(at(path, 'consecutiveErrors'), 'consecutiveErrors is deprecated; use consecutive5xxErrors');
  }
  if (isSet(od.consecutiveLocalOriginFailures) && od.splitExternalLocalOriginErrors !== true) {
    issues.error(
      at(path, 'consecutiveLocalOriginFailures'),
      'consecutiveLocalOriginFailures has no effect unless splitExternalLocalOriginErrors is true',
    );
  }
  // (paths are built only for fields that are set)
  if (od.interval != null) checkDuration(issues, at(path, 'interval'), od.interval);
  if (od.baseEjectionTime != null) checkDuration(issues, at(path, 'baseEjectionTime'), od.baseEjectionTime);
  if (od.maxEjectionPercent != null)
    checkPercent(issues, at(path, 'maxEjectionPercent'), od.maxEjectionPercent, 'maxEjectionPercent');
  if (od.minHealthPercent != null)
    checkPercent(issues, at(path, 'minHealthPercent'), od.minHealthPercent, 'minHealthPercent');
}

// ---------------------------------------------------------------------------------------------------
// Load balancer
// ---------------------------------------------------------------------------------------------------

function isPrime(n: number): boolean {
  if (n < 2) return false;
  for (let d = 2; d * d <= n; d++) if (n % d === 0) return false;
  return true;
}

function checkLoadBalancer(issues: Issues, path: string, lb: unknown, hasOutlierDetection: boolean): void {
  if (!isObject(lb)) return;
  if (isObject(lb.consistentHash)) checkConsistentHash(issues, at(path, 'consistentHash'), lb.consistentHash);
  if (isObject(lb.localityLbSetting) && isObject(lb.zoneAwareLbSetting)) {
    issues.error(path, 'localityLbSetting and zoneAwareLbSetting cannot both be set');
  }
  for (const f of ['localityLbSetting', 'zoneAwareLbSetting']) {
    if (isObject(lb[f]))
      checkLocalityLb(issues, at(path, f), lb[f], hasOutlierDetection, f === 'zoneAwareLbSetting');
  }
  if (isObject(lb.warmup)) {
    const w = lb.warmup;
    const wp = at(path, 'warmup');
    if (w.duration === undefined || w.duration === null) issues.error(wp, 'warmup needs duration');
    else checkDuration(issues, at(wp, 'duration'), w.duration);
    if (w.minimumPercent !== undefined && w.minimumPercent !== null) {
      checkPercent(issues, at(wp, 'minimumPercent'), w.minimumPercent, 'minimumPercent');
    }
    if (w.aggression !== undefined && w.aggression !== null && !((num(w.aggression) ?? 0) > 0)) {
      issues.error(at(wp, 'aggression'), `aggression ${quote(w.aggression)} must be greater than 0`);
    }
  }
  // warmupDurationSecs istiod does not check (a sub-millisecond "0.5ms" is accepted); only its syntax
  if (lb.warmupDurationSecs != null) {
    const err = durationError(lb.warmupDurationSecs, { allowZero: true });
    if (err && !/too short|too precise/.test(err)) issues.error(at(path, 'warmupDurationSecs'), err);
  }
}

function checkConsistentHash(issues: Issues, path: string, ch: Record<string, any>): void {
  if (isObject(ch.httpCookie)) {
    const c = ch.httpCookie;
    const cp = at(path, 'httpCookie');
    if (!isSet(c.name)) issues.error(at(cp, 'name'), 'httpCookie needs a cookie name');
    checkDuration(issues, at(cp, 'ttl'), c.ttl, { allowZero: true });
    const seen = new Set<string>();
    list(c.attributes).forEach((a, i) => {
      const name = isObject(a) ? str(a.name) : undefined;
      const ap = at(cp, 'attributes', i, 'name');
      if (!name) issues.error(ap, 'cookie attribute name must not be empty');
      else if (seen.has(name)) issues.error(ap, `duplicate cookie attribute "${name}"`);
      else seen.add(name);
    });
  }
  if (isSet(ch.minimumRingSize)) {
    const mp = at(path, 'minimumRingSize');
    issues.warn(mp, 'minimumRingSize is deprecated; use ringHash.minimumRingSize');
    if (isObject(ch.ringHash) || isObject(ch.maglev)) {
      issues.error(
        mp,
        'minimumRingSize cannot be combined with ringHash or maglev; use ringHash.minimumRingSize',
      );
    }
  }
  if (isObject(ch.maglev)) {
    const t = num(ch.maglev.tableSize);
    const tp = at(path, 'maglev', 'tableSize');
    if (!isSet(ch.maglev.tableSize)) issues.error(tp, 'maglev needs tableSize (a prime number, e.g. 65537)');
    else if (t === undefined || !Number.isInteger(t) || !isPrime(t) || t >= MAGLEV_MAX_TABLE) {
      issues.error(
        tp,
        `maglev tableSize ${quote(ch.maglev.tableSize)} must be a prime number below ${MAGLEV_MAX_TABLE}`,
      );
    }
  }
}

/** Why `l` is not a locality (`region[/zone[/subzone]]`, at most one trailing `*`), or undefined. */
function localityError(l: unknown): string | undefined {
  if (typeof l !== 'string' || l === '') return 'locality must be a non-empty "region/zone/subzone" string';
  const parts = l.split('/');
  if (parts.length > 3) return `locality "${l}" has more than three parts (region/zone/subzone)`;
  if (parts.some((p) => p === '')) return `locality "${l}" has an empty part`;
  const star = parts.findIndex((p) => p.includes('*'));
  if (star >= 0 && (star !== parts.length - 1 || parts[star] !== '*')) {
    return `locality "${l}": "*" is allowed only as the whole last part (e.g. "us-east/*")`;
  }
  return undefined;
}

/** True when locality pattern `a` (`region/*`, `*`) matches every locality `b` matches. */
function localityCovers(a: string, b: string): boolean {
  return a === b || a === '*' || (a.endsWith('/*') && b.startsWith(a.slice(0, -1)));
}

function checkLocalityList(issues: Issues, path: (i: number) => string, items: string[]): void {
  items.forEach((l, i) => {
    const err = localityError(l);
    if (err) {
      issues.error(path(i), err);
      return;
    }
    const j = items.findIndex((o, k) => k !== i && localityCovers(o, l) && (o !== l || k < i));
    if (j >= 0) issues.error(path(i), `locality "${l}" overlaps with "${items[j]}"`);
  });
}

function checkLocalityLb(
  issues: Issues,
  path: string,
  s: Record<string, any>,
  hasOutlierDetection: boolean,
  zoneAware: boolean,
): void {
  const distribute = list(s.distribute);
  const failover = list(s.failover);
  const priority = list(s.failoverPriority);
  if (distribute.length > 0 && failover.length > 0) {
    issues.error(path, 'distribute and failover cannot both be set');
  }
  if (priority.length > 0 && (failover.length > 0 || zoneAware)) {
    priority.forEach((label, i) => {
      const key = typeof label === 'string' ? label.split('=')[0]! : '';
      if (TOPOLOGY_LABELS.includes(key)) {
        issues.error(
          at(path, 'failoverPriority', i),
          `failoverPriority cannot use the topology label "${key}"${zoneAware ? ' with zoneAwareLbSetting' : ' together with failover'}`,
        );
      }
    });
  }
  checkLocalityList(
    issues,
    (i) => at(path, 'distribute', i, 'from'),
    distribute.map((d) => (isObject(d) ? d.from : undefined)),
  );
  distribute.forEach((d, i) => {
    if (!isObject(d)) return;
    const dp = at(path, 'distribute', i, 'to');
    const locs = keysOf(d.to);
    let sum = 0;
    for (const loc of locs) {
      const w = d.to[loc];
      const err = localityError(loc);
      if (err) issues.error(at(dp, loc), err);
      const n = num(w);
      if (n === undefined || !Number.isInteger(n) || n < 1 || n > 100) {
        issues.error(at(dp, loc), `weight for "${loc}" must be an integer from 1 to 100, got ${quote(w)}`);
      }
      sum += n ?? 0;
    }
    checkLocalityList(issues, (k) => at(dp, locs[k]!), locs);
    if (sum !== 100) issues.error(dp, `distribute weights must sum to 100, got ${sum}`);
  });
  failover.forEach((f, i) => {
    const fp = at(path, 'failover', i);
    if (!isObject(f)) return;
    if (typeof f.from === 'string' && f.from === f.to)
      issues.error(fp, `failover from and to are both "${f.from}"; they must differ`);
    for (const side of ['from', 'to']) {
      const v = f[side];
      if (typeof v !== 'string' || v === '' || v.includes('/') || v.includes('*')) {
        issues.error(at(fp, side), `failover ${side} ${quote(v)} must be a region name (no "/" or "*")`);
      }
    }
  });
  if ((failover.length > 0 || priority.length > 0) && !hasOutlierDetection) {
    issues.warn(path, 'failover has no effect without outlierDetection in the same traffic policy');
  }
}

// ---------------------------------------------------------------------------------------------------
// Client TLS
// ---------------------------------------------------------------------------------------------------

function checkClientTls(issues: Issues, ns: string | undefined, path: string, tls: unknown): void {
  if (!isObject(tls)) return;
  const mode = str(tls.mode) ?? 'DISABLE';
  const cred = str(tls.credentialName) ?? '';
  if (cred.startsWith('configmap://')) {
    const ref = cred.slice('configmap://'.length).split('/');
    const cp = at(path, 'credentialName');
    if (ref.length < 2 || ref[0] === '' || ref[1] === '') {
      issues.error(cp, `credentialName "${cred}" is invalid: use configmap://namespace/name`);
    } else if (ns !== undefined && ref[0] !== ns) {
      issues.error(
        at(path, 'credentialName'),
        `credentialName "${cred}" refers to namespace "${ref[0]}"; a ConfigMap credential must be in the DestinationRule's namespace "${ns}"`,
      );
    }
  }
  const forbid = (fields: string[], why: string) => {
    for (const f of fields) if (isSet(tls[f])) issues.error(at(path, f), `${f} cannot be set ${why}`);
  };
  const skipVerify = tls.insecureSkipVerify === true;
  if (skipVerify && mode === 'SIMPLE') {
    forbid(
      ['caCertificates', 'credentialName', 'subjectAltNames'],
      'when insecureSkipVerify is true with mode SIMPLE',
    );
  } else if (skipVerify && mode === 'MUTUAL') {
    forbid(['caCertificates', 'subjectAltNames'], 'when insecureSkipVerify is true with mode MUTUAL');
  }
  if ((mode === 'SIMPLE' || mode === 'MUTUAL') && cred !== '') {
    forbid(
      ['clientCertificate', 'privateKey', 'caCertificates', 'caCrl'],
      `together with credentialName (mode ${mode}); the secret provides the certificates`,
    );
  }
  if (mode === 'MUTUAL' && cred === '') {
    for (const f of ['clientCertificate', 'privateKey']) {
      if (!isSet(tls[f]))
        issues.error(path, `mode MUTUAL needs ${f} (or credentialName pointing at a secret)`);
    }
  }
}
