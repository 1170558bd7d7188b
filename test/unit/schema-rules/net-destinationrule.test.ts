import { describe, expect, it } from 'vitest';
import { at, checker, paths } from './net-helpers.js';

const dr = checker('DestinationRule');
/** A DestinationRule for host `reviews` with the given trafficPolicy body (indented under it). */
const tp = (policy: string) => dr(`  host: reviews\n  trafficPolicy:\n${policy}`);

describe('DestinationRule semantic rules', () => {
  it('checks host, subsets and exportTo', () => {
    const issues = dr(`  host: Reviews_Svc
  exportTo: [".", default, "~", Bad_NS]
  subsets:
  - name: v1
    labels: {version: v1}
  - name: v1
  - name: v_2
    labels: {"bad/key/x": v2}
  - null
`);
    expect(at(issues, 'spec.host').message).toContain('Reviews_Svc');
    expect(at(issues, 'spec.exportTo[1]').message).toContain('duplicate exportTo entry "default"');
    expect(at(issues, 'spec.exportTo[2]').message).toContain('only allowed on ServiceEntry');
    expect(at(issues, 'spec.exportTo[3]').message).toContain('"Bad_NS"');
    expect(at(issues, 'spec.subsets[1].name').message).toBe('duplicate subset name "v1" (also subsets[0])');
    expect(at(issues, 'spec.subsets[2].name').message).toContain('"v_2"');
    expect(at(issues, 'spec.subsets[2].labels["bad/key/x"]').message).toContain('label key');
    expect(at(issues, 'spec.subsets[3]').message).toBe('subset must not be empty (null)');
  });

  it('restricts exportTo of a DestinationRule with a workloadSelector to its own namespace', () => {
    const issues = dr(`  host: reviews
  workloadSelector: {matchLabels: {app: a}}
  exportTo: [".", other]
`);
    expect(paths(issues)).toEqual(['spec.exportTo[1]']);
    expect(issues[0]!.message).toContain('only be exported to its own namespace');
    expect(at(dr('  host: reviews\n  workloadSelector: {}\n'), 'spec.workloadSelector').level).toBe(
      'warning',
    );
  });

  it('rejects empty policies and tunnel together with proxyProtocol', () => {
    expect(at(dr('  host: r\n  trafficPolicy: {}\n'), 'spec.trafficPolicy').message).toContain('is empty');
    const issues = tp(`    proxyProtocol: {version: V3}
    tunnel: {protocol: UDP, targetHost: "not valid", targetPort: 0}
`);
    expect(at(issues, 'spec.trafficPolicy').message).toBe('tunnel and proxyProtocol cannot both be set');
    expect(at(issues, 'spec.trafficPolicy.proxyProtocol.version').message).toContain('V1 or V2');
    expect(at(issues, 'spec.trafficPolicy.tunnel.protocol').message).toContain('CONNECT or POST');
    expect(at(issues, 'spec.trafficPolicy.tunnel.targetHost').message).toContain('IP or FQDN');
    expect(at(issues, 'spec.trafficPolicy.tunnel.targetPort').level).toBe('error');
  });

  it('checks connection pools', () => {
    expect(at(tp('    connectionPool: {}\n'), 'spec.trafficPolicy.connectionPool').message).toBe(
      'connectionPool must set http or tcp settings',
    );
    const issues = tp(`    connectionPool:
      tcp: {maxConnections: -1, connectTimeout: 0s, idleTimeout: 0s, tcpKeepalive: {interval: 1.5ms}}
      http:
        h2UpgradePolicy: UPGRADE
        useClientProtocol: true
        maxRetries: -3
        http2ProtocolOptions: {connectionKeepalive: {interval: 10s}}
`);
    const base = 'spec.trafficPolicy.connectionPool';
    expect(paths(issues)).toEqual(
      [
        `${base}.tcp.maxConnections`,
        `${base}.tcp.connectTimeout`,
        `${base}.tcp.tcpKeepalive.interval`,
        `${base}.http.useClientProtocol`,
        `${base}.http.maxRetries`,
        `${base}.http.http2ProtocolOptions.connectionKeepalive`,
      ].sort(),
    );
    expect(at(issues, `${base}.tcp.connectTimeout`).message).toContain('at least 1ms');
    expect(at(issues, `${base}.http.http2ProtocolOptions.connectionKeepalive`).message).toBe(
      'connectionKeepalive needs timeout',
    );
  });

  it('checks outlier detection', () => {
    const issues = tp(`    outlierDetection:
      consecutiveErrors: 5
      consecutiveLocalOriginFailures: 3
      interval: 1x
      maxEjectionPercent: 101
      minHealthPercent: -1
`);
    const base = 'spec.trafficPolicy.outlierDetection';
    expect(at(issues, `${base}.consecutiveErrors`).level).toBe('warning');
    expect(at(issues, `${base}.consecutiveLocalOriginFailures`).message).toContain(
      'splitExternalLocalOriginErrors',
    );
    expect(at(issues, `${base}.interval`).level).toBe('error');
    expect(at(issues, `${base}.maxEjectionPercent`).message).toContain('between 0 and 100');
    expect(at(issues, `${base}.minHealthPercent`).level).toBe('error');
  });

  it('checks consistent hashing', () => {
    const issues = tp(`    loadBalancer:
      consistentHash:
        httpCookie: {attributes: [{name: SameSite}, {name: SameSite}, {}]}
        minimumRingSize: 1024
        maglev: {tableSize: 65536}
`);
    const base = 'spec.trafficPolicy.loadBalancer.consistentHash';
    expect(at(issues, `${base}.httpCookie.name`).message).toBe('httpCookie needs a cookie name');
    expect(at(issues, `${base}.httpCookie.attributes[1].name`).message).toBe(
      'duplicate cookie attribute "SameSite"',
    );
    expect(at(issues, `${base}.httpCookie.attributes[2].name`).level).toBe('error');
    // as istiod: the deprecation warning, and the error for combining it with maglev
    expect(
      issues.filter((i) => i.path === `${base}.minimumRingSize`).map((i) => `${i.level} ${i.message}`),
    ).toEqual([
      'warning minimumRingSize is deprecated; use ringHash.minimumRingSize',
      'error minimumRingSize cannot be combined with ringHash or maglev; use ringHash.minimumRingSize',
    ]);
    expect(at(issues, `${base}.maglev.tableSize`).message).toContain('prime number below 5000011');
    expect(
      at(
        tp('    loadBalancer: {consistentHash: {httpHeaderName: x, minimumRingSize: 8}}\n'),
        `${base}.minimumRingSize`,
      ).level,
    ).toBe('warning');
  });

  it('checks what istiod checks of http2KeepAlive, portLevelSettings, warmupDurationSecs and configmap:// credentials', () => {
    const found = (policy: string) => tp(policy).map((i) => `${i.level} ${i.path}: ${i.message}`);
    expect(found('    connectionPool: {http: {http2KeepAlive: {interval: 10s}}}\n')).toEqual([
      'error spec.trafficPolicy.connectionPool.http.http2KeepAlive: http2KeepAlive needs timeout',
    ]);
    expect(found('    connectionPool: {http: {http2KeepAlive: {interval: 10s, timeout: 0.5ms}}}\n')).toEqual([
      'error spec.trafficPolicy.connectionPool.http.http2KeepAlive.timeout: duration "0.5ms" is too short: it must be at least 1ms',
    ]);
    // accepted by istiod: a port selector with number 0, a sub-millisecond warmupDurationSecs
    expect(found('    portLevelSettings: [{port: {number: 0}, loadBalancer: {simple: RANDOM}}]\n')).toEqual(
      [],
    );
    expect(found('    loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: 0.5ms}\n')).toEqual([]);
    expect(found('    loadBalancer: {simple: ROUND_ROBIN, warmupDurationSecs: soon}\n')).toEqual([
      'error spec.trafficPolicy.loadBalancer.warmupDurationSecs: "soon" is not a valid duration (examples: "5s", "250ms", "1m30s")',
    ]);
    for (const cred of ['configmap://ca', 'configmap:///ca', 'configmap://default/']) {
      expect(found(`    tls: {mode: SIMPLE, credentialName: "${cred}"}\n`)).toEqual([
        `error spec.trafficPolicy.tls.credentialName: credentialName "${cred}" is invalid: use configmap://namespace/name`,
      ]);
    }
    expect(found('    tls: {mode: SIMPLE, credentialName: "configmap://default/ca"}\n')).toEqual([]);
  });

  it('checks locality load balancing', () => {
    const issues = tp(`    loadBalancer:
      localityLbSetting:
        distribute:
        - from: us-west/*
          to: {"us-west/zone1/*": 80, "us-west/zone2/*": 30}
        - from: us-west/zone1
          to: {"us-east/*": 100}
        - from: "a/*/c"
          to: {"b": 100}
        failover:
        - {from: us-east, to: us-east}
        - {from: us-east/zone1, to: "*"}
        failoverPriority: [topology.kubernetes.io/zone]
      zoneAwareLbSetting: {}
`);
    const base = 'spec.trafficPolicy.loadBalancer';
    expect(at(issues, base).message).toBe('localityLbSetting and zoneAwareLbSetting cannot both be set');
    const l = `${base}.localityLbSetting`;
    expect(issues.filter((i) => i.path === l).map((i) => [i.level, i.message])).toEqual([
      ['error', 'distribute and failover cannot both be set'],
      ['warning', 'failover has no effect without outlierDetection in the same traffic policy'],
    ]);
    expect(at(issues, `${l}.failoverPriority[0]`).message).toContain('topology label');
    expect(at(issues, `${l}.distribute[0].to`).message).toBe('distribute weights must sum to 100, got 110');
    expect(at(issues, `${l}.distribute[1].from`).message).toBe(
      'locality "us-west/zone1" overlaps with "us-west/*"',
    );
    expect(at(issues, `${l}.distribute[2].from`).message).toContain(
      '"*" is allowed only as the whole last part',
    );
    expect(at(issues, `${l}.failover[0]`).message).toContain('must differ');
    expect(at(issues, `${l}.failover[1].from`).message).toContain('region name');
    expect(at(issues, `${l}.failover[1].to`).message).toContain('region name');
  });

  it('checks warmup and port-level settings', () => {
    const issues = tp(`    loadBalancer:
      warmup: {minimumPercent: 120, aggression: 0}
    portLevelSettings:
    - port: {number: 8080}
    - tls: {mode: SIMPLE}
`);
    expect(at(issues, 'spec.trafficPolicy.loadBalancer.warmup').message).toBe('warmup needs duration');
    expect(at(issues, 'spec.trafficPolicy.loadBalancer.warmup.minimumPercent').level).toBe('error');
    expect(at(issues, 'spec.trafficPolicy.loadBalancer.warmup.aggression').message).toContain(
      'greater than 0',
    );
    expect(at(issues, 'spec.trafficPolicy.portLevelSettings[0]').message).toContain(
      'must set outlierDetection, connectionPool, loadBalancer or tls',
    );
    expect(at(issues, 'spec.trafficPolicy.portLevelSettings[1]').message).toBe(
      'portLevelSettings entry needs port.number',
    );
  });

  it('checks client TLS settings', () => {
    const tls = (t: string) => tp(`    tls: ${t}\n`);
    expect(
      at(
        tls('{mode: SIMPLE, credentialName: "configmap://other/ca"}'),
        'spec.trafficPolicy.tls.credentialName',
      ).message,
    ).toContain('must be in the DestinationRule\'s namespace "default"');
    expect(tls('{mode: SIMPLE, credentialName: "configmap://default/ca"}')).toEqual([]);
    const skip = tls(
      '{mode: SIMPLE, insecureSkipVerify: true, caCertificates: /ca.pem, subjectAltNames: [a]}',
    );
    expect(paths(skip)).toEqual([
      'spec.trafficPolicy.tls.caCertificates',
      'spec.trafficPolicy.tls.subjectAltNames',
    ]);
    const cred = tls('{mode: MUTUAL, credentialName: c, clientCertificate: /c.pem, caCrl: /crl.pem}');
    expect(paths(cred)).toEqual(['spec.trafficPolicy.tls.caCrl', 'spec.trafficPolicy.tls.clientCertificate']);
    const mutual = tls('{mode: MUTUAL, clientCertificate: /c.pem}');
    expect(at(mutual, 'spec.trafficPolicy.tls').message).toBe(
      'mode MUTUAL needs privateKey (or credentialName pointing at a secret)',
    );
  });

  it('checks subset and port-level policies like the top-level one', () => {
    const issues = dr(`  host: reviews
  subsets:
  - name: v1
    trafficPolicy:
      portLevelSettings:
      - port: {number: 70000}
        connectionPool: {tcp: {connectTimeout: fast}}
`);
    expect(paths(issues)).toEqual([
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].connectionPool.tcp.connectTimeout',
      'spec.subsets[0].trafficPolicy.portLevelSettings[0].port.number',
    ]);
  });
});
