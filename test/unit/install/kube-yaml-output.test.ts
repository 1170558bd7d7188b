/**
 * The YAML kube-inject and `manifest generate` print is read by kubectl (Go's YAML 1.1 reader), for which a
 * plain `yes`, `on`, `n` is a boolean and `1_000` or `0o17` a number. A string that reads so is written
 * quoted, so the objects kubectl sends are the ones mesh printed ("the values are the same to the API
 * server"); mesh's own reader, which reads YAML as kubectl does, must read them back unchanged.
 */
import jsYaml from 'js-yaml';
import { describe, expect, it } from 'vitest';
import { KUBE_YAML_SCHEMA } from '../../../src/manifests/yaml-schema.js';
import { runCli } from '../../support/cli.js';
import { scratch } from './kube-inject-run.js';

const { file } = scratch('mesh-kube-yaml-');

/** The documents of a YAML text as kubectl reads them. */
const asKubectl = (text: string) => jsYaml.loadAll(text, null, { schema: KUBE_YAML_SCHEMA }) as any[];

/** Strings kubectl would read as something else when written plain. */
const WORDS = ['yes', 'on', 'n', 'Off', '1_000', '0o17', '0b101'];

describe('kube-inject keeps strings strings for kubectl', () => {
  it('labels, annotations and env values that read as booleans or numbers unquoted', async () => {
    const env = WORDS.map((w, i) => `            - {name: E${i}, value: "${w}"}`).join('\n');
    const input = file(
      'deploy.yaml',
      `apiVersion: apps/v1
kind: Deployment
metadata:
  name: web
  labels: {tier: "n"}
spec:
  selector:
    matchLabels: {app: web}
  template:
    metadata:
      labels: {app: web, tier: "n"}
      annotations: {example.com/enabled: "yes"}
    spec:
      containers:
        - name: app
          image: web:1
          env:
${env}
`,
    );
    const r = await runCli(['kube-inject', '-f', input]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    // it wrote `tier: n`, `example.com/enabled: yes`, `value: on`: a boolean, refused by the API server
    const [deploy] = asKubectl(r.stdout);
    expect(deploy.metadata.labels).toEqual({ tier: 'n' });
    expect(deploy.spec.template.metadata.labels).toEqual({ app: 'web', tier: 'n' });
    expect(deploy.spec.template.metadata.annotations['example.com/enabled']).toBe('yes');
    const app = deploy.spec.template.spec.containers.find((c: any) => c.name === 'app');
    expect(app.env.map((e: any) => e.value)).toEqual(WORDS);
    // and mesh analyze, which reads YAML as kubectl does, finds nothing the API server would refuse
    // (it reported MSH1007 on the label and the annotation, exit 79)
    const injected = file('injected.yaml', r.stdout);
    const check = await runCli(['analyze', injected]);
    expect([check.code, check.stdout, check.stderr]).toEqual([
      0,
      '',
      `✔ No validation issues found when analyzing ${injected}.\n`,
    ]);
  });
});

describe('manifest generate keeps strings strings for kubectl and istiod', () => {
  it('a --set annotation and proxy metadata value that read as booleans unquoted', async () => {
    const r = await runCli([
      'manifest',
      'generate',
      '--set',
      'values.pilot.podAnnotations.example\\.com/enabled=yes',
      '--set',
      'meshConfig.defaultConfig.proxyMetadata.DNS_MODE=on',
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const docs = asKubectl(r.stdout);
    const istiod = docs.find((d) => d.kind === 'Deployment' && d.metadata.name === 'istiod');
    expect(istiod.spec.template.metadata.annotations['example.com/enabled']).toBe('yes');
    // the mesh config istiod reads from ConfigMap istio, with the same reader
    const meshCm = docs.find((d) => d.kind === 'ConfigMap' && d.metadata.name === 'istio');
    const mesh = jsYaml.load(meshCm.data.mesh, { schema: KUBE_YAML_SCHEMA }) as any;
    expect(mesh.defaultConfig.proxyMetadata.DNS_MODE).toBe('on');
  });
});
