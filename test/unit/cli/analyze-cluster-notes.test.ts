// What `mesh analyze` says about the cluster it read, beside the findings: a -n namespace the cluster does
// not have, the hint for findings hidden by -n, the --verbose count of what was analyzed, and an injector
// ConfigMap whose values cannot be read. Against a small API server answering discovery and lists as
// kube-apiserver does on the wire (plain HTTP).
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import {
  groupList,
  list,
  NETWORKING,
  networkingV1,
  startFakeApiServer,
  type FakeApiServer,
} from '../../support/fake-api-server.js';

/** A VirtualService naming a Gateway that does not exist: IST0101, an Error. */
const VS = {
  metadata: { name: 'reviews', namespace: 'shop' },
  spec: {
    hosts: ['reviews.example.com'],
    gateways: ['missing-gw'],
    http: [{ route: [{ destination: { host: 'reviews.example.com' } }] }],
  },
};

const NAMESPACES = [
  { metadata: { name: 'default', labels: { 'istio-injection': 'disabled' } } },
  { metadata: { name: 'shop', labels: { 'istio-injection': 'disabled' } } },
  { metadata: { name: 'web', labels: { 'istio-injection': 'enabled' } } },
];

/** A pod of namespace web (sidecar injected) running proxy image `image`. */
const pod = (image: string) => ({
  metadata: { name: 'web-1', namespace: 'web' },
  spec: {
    containers: [
      { name: 'app', image: 'nginx' },
      { name: 'istio-proxy', image },
    ],
  },
  status: { phase: 'Running' },
});

const injector = (values: string | undefined) => ({
  metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
  data: { config: 'policy: enabled', ...(values !== undefined ? { values } : {}) },
});

/** The lists the server answers (by path); any other list is empty. */
let lists: Record<string, unknown[]> = {};

const dir = mkdtempSync(join(tmpdir(), 'mesh-cluster-notes-'));
let api: FakeApiServer;
let url = '';
let kubeconfig = '';

beforeAll(async () => {
  api = await startFakeApiServer((_method, path) => {
    if (path === '/apis') return groupList([NETWORKING]);
    if (path === '/apis/networking.istio.io/v1')
      return networkingV1(['virtualservices', 'VirtualService'], ['gateways', 'Gateway']);
    return list(lists[path] ?? []);
  });
  ({ url, kubeconfig } = api);
});
afterAll(async () => {
  await api.close();
  rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => {
  lists = {
    '/api/v1/namespaces': NAMESPACES,
    '/apis/networking.istio.io/v1/virtualservices': [VS],
  };
});

const analyze = (...args: string[]) => runCli(['analyze', '--kubeconfig', kubeconfig, ...args]);

describe('-n against the cluster', () => {
  it('findings hidden by -n: the note says -A shows them (dropping -n shows only the context namespace)', async () => {
    const r = await analyze('-n', 'default');
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      [
        'note: 3 finding(s) on objects outside namespace default not shown (-A shows them)',
        `✔ No validation issues found when analyzing the cluster at ${url}.`,
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
  });

  it('a namespace the cluster does not have is a warning; the exit code stays', async () => {
    const r = await analyze('-n', 'no-such-ns');
    expect(r.stderr).toBe(
      [
        `warning: namespace "no-such-ns" (-n) not found in the cluster at ${url}`,
        'note: 3 finding(s) on objects outside namespace no-such-ns not shown (-A shows them)',
        `✔ No validation issues found when analyzing the cluster at ${url}.`,
        '',
      ].join('\n'),
    );
    expect(r.code).toBe(0);
    const file = join(dir, 'empty.yaml');
    writeFileSync(file, '');
    const over = await analyze(file, '--use-kube', '-n', 'no-such-ns');
    expect(over.stderr.split('\n')[0]).toBe(
      `warning: namespace "no-such-ns" (-n) not found in the cluster at ${url} or the files`,
    );
    expect(over.code).toBe(0);
  });

  it('a namespace the cluster has, or one the files over it add, is no warning', async () => {
    const shop = await analyze('-n', 'shop');
    expect(shop.stderr).toBe(`Error: Analyzers found issues when analyzing the cluster at ${url}.\n`);
    expect(shop.code).toBe(79);
    const file = join(dir, 'ns.yaml');
    writeFileSync(
      file,
      'apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh, labels: {istio-injection: disabled}}\n',
    );
    const fresh = await analyze(file, '--use-kube', '-n', 'fresh');
    expect(fresh.stderr).toBe(
      [
        'note: 3 finding(s) on objects outside namespace fresh not shown (-A shows them)',
        `✔ No validation issues found when analyzing ${file} over the cluster.`,
        '',
      ].join('\n'),
    );
    expect(fresh.code).toBe(0);
  });
});

describe('--verbose against the cluster', () => {
  it('counts the objects analyzed from the cluster, and the files over it', async () => {
    const all = await analyze('-A', '-v');
    const lines = all.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('Read ') || l.startsWith('Analyzed '))).toEqual([
      expect.stringMatching(new RegExp(`^Read 4 objects from the cluster at ${url} in \\d+ ms\\.$`)),
      'Analyzed 4 resources from the cluster.',
    ]);
    const file = join(dir, 'two.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: fresh}',
        'apiVersion: v1\nkind: Namespace\nmetadata: {name: other}',
      ].join('\n---\n'),
    );
    const over = await analyze(file, '--use-kube', '-A', '-v');
    expect(over.stderr.split('\n').filter((l) => l.startsWith('Analyzed '))).toEqual([
      'Analyzed 2 resources in 1 files over 4 from the cluster.',
    ]);
  });
});

describe('the sidecar injector ConfigMap (IST0158)', () => {
  const VALUES = JSON.stringify({
    global: { hub: 'docker.io/istio', tag: '1.28.0', proxy: { image: 'proxyv2' } },
  });

  it('values it can read: pods with another proxy image are IST0158', async () => {
    lists['/api/v1/namespaces/istio-system/configmaps'] = [injector(VALUES)];
    lists['/api/v1/pods'] = [pod('docker.io/istio/proxyv2:1.27.0')];
    const r = await analyze('-A', '-o', 'json');
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).toContain('IST0158');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([]);
  });

  it.each([
    ['not json', 'is not JSON'],
    ['["a list"]', 'is not a JSON object'],
    [undefined, 'is missing'],
  ])('values %j: a warning naming the ConfigMap and its key, and no IST0158', async (values, why) => {
    lists['/api/v1/namespaces/istio-system/configmaps'] = [injector(values)];
    lists['/api/v1/pods'] = [pod('docker.io/istio/proxyv2:1.27.0')];
    const r = await analyze('-A', '-o', 'json');
    expect(JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)).not.toContain('IST0158');
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: ConfigMap istio-system/istio-sidecar-injector data.values ${why}: the proxy image checks (IST0158) of the pods it injects are skipped`,
    ]);
  });
});
