// YAML means what it means to kubectl and istioctl (Go's YAML 1.1 reader): merge keys (`<<: *defaults`)
// merge the anchored mapping's keys (read as a field named `<<` they gave false schema errors and lost the
// findings on what was merged in), and a plain `yes` or `on` is a boolean (read as a string, a label that
// kubectl refuses passed).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-merge-'));

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('YAML merge keys', () => {
  it('analyze: a merged route is analyzed as the route it is (istioctl: 2x IST0101 and IST0130, no schema error)', async () => {
    const file = write('vs.yaml', [
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata: {name: dr, namespace: default}',
      'spec:',
      '  host: reviews',
      '  trafficPolicy: &tp',
      '    tls: {mode: ISTIO_MUTUAL}',
      '  subsets:',
      '  - name: v1',
      '    labels: {version: v1}',
      '    trafficPolicy:',
      '      <<: *tp',
      '      connectionPool: {tcp: {maxConnections: 10}}',
      '---',
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata: {name: vs, namespace: default}',
      'spec:',
      '  hosts: [reviews]',
      '  http:',
      '  - &r',
      '    route:',
      '    - destination: {host: reviews, subset: v2}',
      '  - <<: *r',
      '    match: [{uri: {prefix: /x}}]',
    ]);
    const r = await runCli(['analyze', file]);
    expect(r.code).toBe(79);
    // the merged route's finding is on the line of its merge key (the field itself is written elsewhere)
    expect(r.stdout).toBe(
      `Error [IST0101] (VirtualService default/vs ${file}:23) Referenced host+subset in destinationrule not found: "reviews+v2"\n` +
        `Error [IST0101] (VirtualService default/vs ${file}:24) Referenced host+subset in destinationrule not found: "reviews+v2"\n` +
        `Warning [IST0130] (VirtualService default/vs ${file}:24) VirtualService rule #1 not used (route without matches defined before).\n`,
    );
  });

  it('manifest generate -f: values merged from an anchor apply (the gateway autoscaler goes, as with istioctl)', async () => {
    const file = write('op.yaml', [
      'apiVersion: install.istio.io/v1alpha1',
      'kind: IstioOperator',
      'spec:',
      '  values:',
      '    pilot: &p',
      '      autoscaleEnabled: false',
      '    gateways:',
      '      istio-ingressgateway:',
      '        <<: *p',
    ]);
    const plain = await runCli(['manifest', 'generate']);
    expect(plain.stdout).toMatch(/^kind: HorizontalPodAutoscaler\n/m);
    const r = await runCli(['manifest', 'generate', '-f', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^kind: HorizontalPodAutoscaler\n/m);
    // a misspelt key merged in is refused where it is written and where it is merged
    const bad = write('bad.yaml', [
      'apiVersion: install.istio.io/v1alpha1',
      'kind: IstioOperator',
      'spec:',
      '  values:',
      '    pilot: &p',
      '      autoscaleEnabledd: false',
      '    gateways:',
      '      istio-ingressgateway:',
      '        <<: *p',
    ]);
    const refused = await runCli(['manifest', 'generate', '-f', bad]);
    expect(refused.code).toBe(64);
    expect(refused.stderr).toContain(
      'spec.values.gateways.istio-ingressgateway.autoscaleEnabledd: unknown field',
    );
  });

  it('analyze: a plain yes or on where a string belongs is the boolean kubectl sends (istioctl cannot parse the file)', async () => {
    const file = write('yes.yaml', [
      'apiVersion: networking.istio.io/v1',
      'kind: DestinationRule',
      'metadata:',
      '  name: dr',
      '  namespace: default',
      '  labels: {enabled: yes, quoted: "yes"}',
      'spec:',
      '  host: reviews',
      '  subsets:',
      '  - name: on',
      '---',
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata: {name: c, namespace: default, labels: {audit: off}}',
    ]);
    const r = await runCli(['analyze', file]);
    expect(r.code).toBe(79);
    expect(r.stdout).toBe(
      `Error [IST0106] (DestinationRule default/dr ${file}:6) Schema validation error: metadata.labels.enabled: must be string, got boolean true\n` +
        `Error [IST0106] (DestinationRule default/dr ${file}:10) Schema validation error: spec.subsets[0].name: must be string, got boolean true\n` +
        `Error [MSH1007] (ConfigMap default/c ${file}:14) metadata.labels.audit is a boolean, not a string: the API server rejects the object\n`,
    );
  });

  it('manifest generate -f: a plain no is false there too (istioctl: the autoscalers go)', async () => {
    const file = write('no.yaml', [
      'apiVersion: install.istio.io/v1alpha1',
      'kind: IstioOperator',
      'spec:',
      '  values:',
      '    pilot: {autoscaleEnabled: no}',
      '    gateways:',
      '      istio-ingressgateway: {autoscaleEnabled: off}',
    ]);
    const r = await runCli(['manifest', 'generate', '-f', file]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).not.toMatch(/^kind: HorizontalPodAutoscaler\n/m);
  });
});
