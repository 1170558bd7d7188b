import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeText } from '../../support/analyze.js';
import { ANNOTATIONS, ALWAYS_IGNORED } from '../../../src/analyzers/annotations/catalogue.js';
import { VALIDATORS } from '../../../src/analyzers/annotations/validators.js';
import { messageType } from '../../../src/analyzers/messages.js';

const fixture = (name: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/analyzers/annotations', name), 'utf8');

describe('annotations.K8sAnalyzer', () => {
  const run = (text: string) => analyzeText(text, ['annotations.K8sAnalyzer']);

  it('reports each bad annotation of a Deployment and its pod template at the annotation line', async () => {
    const findings = await run(fixture('reviews.yaml'));
    const brief = findings.map((f) => [f.code, f.origin, f.line, f.path]);
    expect(brief).toEqual(
      expect.arrayContaining([
        ['IST0107', 'Deployment shop/reviews', 8, 'metadata.annotations["sidecar.istio.io/proxyCPU"]'],
        [
          'IST0125',
          'Deployment shop/reviews',
          18,
          'spec.template.metadata.annotations["sidecar.istio.io/proxyMemory"]',
        ],
        [
          'IST0125',
          'Deployment shop/reviews',
          19,
          'spec.template.metadata.annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]',
        ],
        [
          'IST0135',
          'Deployment shop/reviews',
          20,
          'spec.template.metadata.annotations["sidecar.istio.io/statsInclusionPrefixes"]',
        ],
        [
          'IST0108',
          'Deployment shop/reviews',
          21,
          'spec.template.metadata.annotations["sidecar.istio.io/logLevell"]',
        ],
      ]),
    );
    expect(findings).toHaveLength(5);
    const cidr = findings.find((f) => f.line === 19)!;
    expect(cidr.message).toContain('"169.254.169.254" is not a CIDR');
    expect(findings.find((f) => f.code === 'IST0107')!.message).toBe(
      'Misplaced annotation: sidecar.istio.io/proxyCPU can only be applied to Pod',
    );
  });

  it('is quiet on valid values, Istio-written keys, and the inject annotation kept next to its label', async () => {
    expect(await run(fixture('ratings-ok.yaml'))).toEqual([]);
  });

  it('suggests the label when only the deprecated sidecar.istio.io/inject annotation is used', async () => {
    const text = fixture('ratings-ok.yaml').replace(
      '        sidecar.istio.io/inject: "true"\n      annotations',
      '      annotations',
    );
    const findings = await run(text);
    expect(findings).toEqual([
      expect.objectContaining({
        code: 'IST0135',
        line: 15,
        message:
          'Annotation "sidecar.istio.io/inject" has been deprecated in favor of the "sidecar.istio.io/inject" label and may not work in future Istio versions.',
      }),
    ]);
  });
});

describe('proxy.istio.io/config as the sidecar injector validates it', () => {
  const pod = (config: string) =>
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: web',
      '  namespace: shop',
      '  annotations:',
      `    proxy.istio.io/config: ${JSON.stringify(config)}`,
      'spec:',
      '  containers: [{name: web, image: web}]',
    ].join('\n');
  const problem = async (config: string) => {
    const findings = await analyzeText(pod(config), ['annotations.K8sAnalyzer']);
    return findings.map((f) => [f.code, messageType(f.code).level, f.origin, f.message]);
  };
  const finding = (problem: string) => [
    ['IST0125', 'Warning', 'Pod shop/web', `Invalid annotation proxy.istio.io/config: ${problem}`],
  ];

  it('reports what istiod refuses, naming the field', async () => {
    expect(await problem('tracing:\n  zipkin:\n    address: zipkin')).toEqual(
      finding('tracing.zipkin.address: "zipkin" is not host:port (missing port in address)'),
    );
    expect(await problem('statsdUdpAddress: statsd')).toEqual(
      finding('statsdUdpAddress: "statsd" is not host:port (missing port in address)'),
    );
    expect(await problem('envoyAccessLogService:\n  address: bad:port')).toEqual(
      finding('envoyAccessLogService.address: port "port" of "bad:port" is not a number'),
    );
    expect(await problem('envoyMetricsService: {address: bad}')).toEqual(
      finding('envoyMetricsService.address: "bad" is not host:port (missing port in address)'),
    );
    expect(await problem('controlPlaneAuthPolicy: FOO')).toEqual(
      finding('controlPlaneAuthPolicy: "FOO" is not one of NONE, MUTUAL_TLS, INHERIT'),
    );
    expect(await problem('drainDuration: 0s')).toEqual(finding('drainDuration must be at least 1ms'));
    expect(await problem('proxyMetadata:\n  ISTIO_META_DNS_CAPTURE: true')).toEqual(
      finding('proxyMetadata.ISTIO_META_DNS_CAPTURE: true is not a string'),
    );
    expect(await problem('tracing:\n  tlsSettings: {mode: MUTUAL}')).toEqual(
      finding(
        'tracing.tlsSettings: clientCertificate is required for mode MUTUAL; tracing.tlsSettings: privateKey is required for mode MUTUAL',
      ),
    );
    expect(await problem('tracing:\n  lightstep: {address: x}')).toEqual(
      finding(
        'tracing.lightstep.address: "x" is not host:port (missing port in address); tracing.lightstep.accessToken is required',
      ),
    );
    expect(await problem('privateKeyProvider:\n  cryptomb: {}')).toEqual(
      finding('privateKeyProvider.cryptomb.pollDelay is required'),
    );
    expect(await problem('serviceCluster: ""')).toEqual(finding('serviceCluster must not be empty'));
    expect(await problem('discoveryAddress: istiod.istio-system.svc:99999')).toEqual(
      finding('discoveryAddress: port 99999 of "istiod.istio-system.svc:99999" is not in the range 1..65535'),
    );
    expect(await problem('connectionSettings: {httpMaxConcurrentStreams: 0}')).toEqual(
      finding('connectionSettings.httpMaxConcurrentStreams: must be positive'),
    );
  });

  it('names a list or mapping where a value is wanted without printing it (YAML aliases can make it huge)', async () => {
    const laughs = [
      'a: &a [x, x, x, x, x, x, x, x, x, x]',
      ...'bcdefgh'.split('').map((c, i) => `${c}: &${c} [${Array(10).fill(`*${'abcdefgh'[i]}`).join(', ')}]`),
      'proxyMetadata: *h',
    ].join('\n');
    expect(await problem(laughs)).toEqual(finding('proxyMetadata: a list is not a mapping'));
    expect(await problem('proxyMetadata: &m {a: *m}')).toEqual(
      finding('proxyMetadata.a: a mapping is not a string'),
    );
    expect(await problem(`statsdUdpAddress: ${'x'.repeat(300)}`)).toEqual(
      finding(`statsdUdpAddress: "${'x'.repeat(300)}" is not host:port (missing port in address)`),
    );
  });

  it('accepts what istiod accepts: unknown fields, quoted numbers, negative statNameLength and concurrency', async () => {
    for (const config of [
      'statNameLength: -5',
      'concurrency: -1',
      'concurrency: "2"',
      'foo: bar',
      'holdApplicationUntilProxyStarts: yes',
      'tracing:\n  zipkin:\n    address: $(HOST_IP):9411',
      'tracing:\n  datadog: {address: "[::1]:8126"}',
      'tracing_service_name: CANONICAL_NAME_ONLY',
      'interceptionMode: 7',
      'terminationDrainDuration: -5s',
      'drainDuration: 2m',
    ])
      expect(await problem(config), config).toEqual([]);
  });

  // istioctl kube-inject (the same annotation check as analyze's IST0125) on these annotations: Istio's
  // reader sets a oneof's members in the order the proto declares them, so the last one declared stays
  it('a oneof given twice is no error: only the member declared last is validated, whatever the order written', async () => {
    for (const config of [
      'tracing: {zipkin: {address: bad}, lightstep: {address: "l:8080", accessToken: t}}',
      'tracing: {datadog: {address: bad}, stackdriver: {}}',
      'tracing: {zipkin: {address: bad}, open_census_agent: {}}',
      'serviceCluster: ""\ntracingServiceName: CANONICAL_NAME_ONLY',
      'tracing_service_name: CANONICAL_NAME_ONLY\nservice_cluster: ""',
      'privateKeyProvider: {qat: {pollDelay: 1ms}, cryptomb: {pollDelay: 0s}}',
      'tracing: {customTags: {a: {literal: {value: x}, header: {name: h}}}}',
    ])
      expect(await problem(config), config).toEqual([]);
    expect(await problem('tracing: {lightstep: {address: bad}, zipkin: {address: "z:9411"}}')).toEqual(
      finding(
        'tracing.lightstep.address: "bad" is not host:port (missing port in address); tracing.lightstep.accessToken is required',
      ),
    );
    expect(await problem('tracing: {datadog: {address: bad}, zipkin: {address: "z:9411"}}')).toEqual(
      finding('tracing.datadog.address: "bad" is not host:port (missing port in address)'),
    );
    expect(await problem('privateKeyProvider: {cryptomb: {pollDelay: 1ms}, qat: {}}')).toEqual(
      finding('privateKeyProvider.qat.pollDelay is required'),
    );
    // a member given as null is not set: the other one stays
    expect(await problem('tracing: {zipkin: {address: bad}, lightstep: null}')).toEqual(
      finding('tracing.zipkin.address: "bad" is not host:port (missing port in address)'),
    );
    // the replaced member is still read first: a value of the wrong type fails
    expect(
      await problem('tracing: {zipkin: {address: 5}, lightstep: {address: "l:8080", accessToken: t}}'),
    ).toEqual(finding('tracing.zipkin.address: 5 is not a string'));
  });
});

describe('annotation values as the sidecar injector parses them', () => {
  const pod = (key: string, value: string) =>
    [
      'apiVersion: v1',
      'kind: Pod',
      'metadata:',
      '  name: web',
      '  namespace: shop',
      '  annotations:',
      `    ${key}: ${JSON.stringify(value)}`,
      'spec:',
      '  containers: [{name: web, image: web}]',
    ].join('\n');
  const findings = async (key: string, value: string) =>
    (await analyzeText(pod(key, value), ['annotations.K8sAnalyzer'])).map((f) => [
      f.code,
      messageType(f.code).level,
      f.origin,
      f.message,
    ]);
  const invalid = (key: string, problem: string) => [
    ['IST0125', 'Warning', 'Pod shop/web', `Invalid annotation ${key}: ${problem}`],
  ];
  const IFACES = 'traffic.sidecar.istio.io/excludeInterfaces';
  const RANGES = 'traffic.sidecar.istio.io/excludeOutboundIPRanges';

  it('refuses interface names istiod refuses (a letter, then letters, digits, _ . -)', async () => {
    expect(await findings(IFACES, 'veth*')).toEqual(
      invalid(
        IFACES,
        'interface name "veth*" contains invalid characters (a letter, then letters, digits, _ . -)',
      ),
    );
    expect(await findings(IFACES, 'eth0:1')).toEqual(
      invalid(
        IFACES,
        'interface name "eth0:1" contains invalid characters (a letter, then letters, digits, _ . -)',
      ),
    );
  });

  it('reads IP ranges as Go netip.ParsePrefix does', async () => {
    expect(await findings(RANGES, '10.0.0.0/08')).toEqual(
      invalid(RANGES, '"10.0.0.0/08": bad prefix length "08" (0-32, no sign or leading zero)'),
    );
    expect(await findings(RANGES, 'fe80::1%eth0/64')).toEqual(
      invalid(RANGES, '"fe80::1%eth0/64": an IPv6 zone cannot be part of a prefix'),
    );
  });

  it('accepts a signed resource quantity', async () => {
    expect(await findings('sidecar.istio.io/proxyCPU', '+100m')).toEqual([]);
  });
});

describe('annotations.AlphaAnalyzer (opt-in)', () => {
  it('reports alpha annotations when asked for by name, and skips those istio-cni sets itself', async () => {
    const findings = await analyzeText(fixture('reviews.yaml'), ['annotations.AlphaAnalyzer']);
    expect(findings.map((f) => f.path)).toEqual([
      'metadata.annotations["sidecar.istio.io/proxyCPU"]',
      'spec.template.metadata.annotations["sidecar.istio.io/proxyMemory"]',
      'spec.template.metadata.annotations["sidecar.istio.io/statsInclusionPrefixes"]',
      'spec.template.metadata.annotations["traffic.sidecar.istio.io/excludeOutboundIPRanges"]',
      'metadata.annotations["networking.istio.io/exportTo"]',
    ]);
  });
});

describe('annotation catalogue and value checks', () => {
  it('matches the shared istio/api catalogue it was converted from', () => {
    const shared = JSON.parse(
      readFileSync(
        join(import.meta.dirname, '../../../../shared/conformance/istio-analyze/annotations.json'),
        'utf8',
      ),
    );
    expect([...ALWAYS_IGNORED]).toEqual(shared.alwaysIgnored);
    expect([...ANNOTATIONS.values()]).toEqual(
      shared.annotations.map((a: any) => ({
        name: a.name,
        featureStatus: a.featureStatus ?? '',
        deprecated: a.deprecated,
        resources: a.resources,
      })),
    );
  });

  it.each([
    ['sidecar.istio.io/interceptionMode', 'TPROXY', true],
    ['sidecar.istio.io/interceptionMode', 'redirect', false],
    ['status.sidecar.istio.io/port', '15020', true],
    ['status.sidecar.istio.io/port', '70000', false],
    ['readiness.status.sidecar.istio.io/periodSeconds', '10', true],
    ['readiness.status.sidecar.istio.io/periodSeconds', '-1', false],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '*', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/8,fd00::/8', true],
    ['traffic.sidecar.istio.io/includeOutboundIPRanges', '10.0.0.0/33', false],
    ['traffic.sidecar.istio.io/excludeInboundPorts', '15020, 8080', true],
    ['traffic.sidecar.istio.io/excludeOutboundPorts', '80,http', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'eth1,net1', true],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'a very long name', false],
    ['prometheus.istio.io/merge-metrics', 'false', true],
    ['prometheus.istio.io/merge-metrics', 'nope', false],
    ['proxy.istio.io/config', '{}', true],
    ['proxy.istio.io/config', 'concurrency: 2\ndrainDuration: 45s', true],
    ['proxy.istio.io/config', 'drainDuration: soon', false],
    ['proxy.istio.io/config', 'drainDuration: 500\u00b5s', false],
    ['proxy.istio.io/config', 'drainDuration: 1m30.5s', false],
    ['proxy.istio.io/config', 'drainDuration: 1m30s', true],
    ['proxy.istio.io/config', 'discoveryAddress: istiod.istio-system.svc', false],
    ['proxy.istio.io/config', '[a, b]', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '::ffff:10.0.0.0/104,10.0.0.1/8', true],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '010.0.0.0/8', false],
    ['traffic.sidecar.istio.io/excludeOutboundIPRanges', '10.0.0.0/+8', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', ' eth0 , net1 ', true],
    ['traffic.sidecar.istio.io/excludeInterfaces', 'eth0,,eth1', false],
    ['traffic.sidecar.istio.io/excludeInterfaces', '_eth0', false],
    ['sidecar.istio.io/proxyCPU', '+100m', true],
    ['sidecar.istio.io/proxyCPU', '-100m', true],
    ['sidecar.istio.io/proxyCPU', ' 100m', false],
    ['sidecar.istio.io/proxyCPULimit', '1.5', true],
    ['sidecar.istio.io/proxyMemoryLimit', '1Gb', false],
  ])('%s: %j valid=%s', (key, value, valid) => {
    expect(VALIDATORS.get(key)!(value) === undefined).toBe(valid);
  });
});
