// `--use-kube` spelled the ways istioctl (a pflag bool flag) accepts it, through the CLI, against a small
// API server that answers discovery and lists as kube-apiserver does on the wire (plain HTTP, one
// VirtualService in the cluster).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import {
  groupList,
  list,
  NETWORKING,
  networkingV1,
  startFakeApiServer,
  type FakeApiServer,
} from '../../support/fake-api-server.js';
import { FIX } from './helpers.js';

const file = join(FIX, 'vs-bad-subset.yaml');
const CLUSTER_VS = {
  metadata: { name: 'cluster-vs', namespace: 'shop', uid: 'u1', resourceVersion: '1' },
  spec: {
    hosts: ['a.example.com'],
    gateways: ['missing-gw'],
    http: [{ route: [{ destination: { host: 'a.example.com' } }] }],
  },
};

let api: FakeApiServer;
let requests: string[] = [];
let kubeconfig = '';

// discovery of networking.istio.io/v1 and one VirtualService (context namespace shop)
beforeAll(async () => {
  api = await startFakeApiServer(
    (_method, path) => {
      if (path === '/apis') return groupList([NETWORKING]);
      if (path === '/apis/networking.istio.io/v1') return networkingV1(['virtualservices', 'VirtualService']);
      if (path === '/apis/networking.istio.io/v1/virtualservices') return list([CLUSTER_VS]);
      if (path === '/api/v1/namespaces') return list([{ metadata: { name: 'shop' } }]);
      return undefined;
    },
    { namespace: 'shop' },
  );
  ({ requests, kubeconfig } = api);
});
afterAll(() => api.close());

async function analyze(...args: string[]) {
  requests.length = 0;
  const run = await runCli(['analyze', '--kubeconfig', kubeconfig, '-o', 'json', ...args]);
  const findings: Array<{ origin: string }> = run.stdout ? JSON.parse(run.stdout).findings : [];
  // (The cluster's Namespace gets its own finding: not injected. Only the VirtualServices matter here.)
  const origins = findings.map((f) => f.origin).filter((o) => o.startsWith('VirtualService '));
  return { ...run, origins: [...new Set(origins)].sort(), requests: requests.length };
}

const BOTH = ['VirtualService shop/cluster-vs', 'VirtualService shop/reviews'];
const FILE_ONLY = ['VirtualService shop/reviews'];

describe('mesh analyze --use-kube, spelled as istioctl users type it', () => {
  it('plain --use-kube (and -k) overlays the files on the cluster, and the next path stays a path', async () => {
    for (const flag of ['--use-kube', '-k']) {
      const run = await analyze(flag, file);
      expect(run.code, run.stderr).toBe(79);
      expect(run.origins).toEqual(BOTH);
      expect(run.requests).toBeGreaterThan(0);
    }
  });

  it('--use-kube=true, =1, =T, -k=True read the cluster', async () => {
    for (const flag of ['--use-kube=true', '--use-kube=1', '--use-kube=T', '-k=True']) {
      const run = await analyze(flag, file);
      expect(run.origins, flag).toEqual(BOTH);
    }
  });

  it('--use-kube=false (istioctl analyze --use-kube=false f.yaml) analyzes the files alone', async () => {
    for (const flag of ['--use-kube=false', '--use-kube=False', '--use-kube=0', '-k=f']) {
      const run = await analyze(flag, file);
      expect(run.code, run.stderr).toBe(79);
      expect(run.origins, flag).toEqual(FILE_ONLY);
      expect(run.requests, `${flag} must not contact the cluster`).toBe(0);
    }
    // The last one given wins, as with pflag.
    expect((await analyze('--use-kube', '--use-kube=false', file)).origins).toEqual(FILE_ONLY);
    expect((await analyze('--use-kube=false', file, '--use-kube')).origins).toEqual(BOTH);
  });

  it('--use-kube false: "false" is a path, as in istioctl (a bool flag never takes the next argument)', async () => {
    const run = await analyze('--use-kube', 'false', file);
    expect(run.origins).toEqual(BOTH);
    expect(run.stderr).toMatch(/^error: false: /m);
    expect(run.code).not.toBe(0);
  });

  it('rejects other values, and --use-kube=false with nothing to analyze, as usage errors', async () => {
    const bad = await analyze('--use-kube=no', file);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain(
      'Error: invalid argument "no" for "--use-kube" flag: expected true or false',
    );
    expect(bad.requests).toBe(0);
    const empty = await analyze('--use-kube=false');
    expect(empty.code).toBe(64);
    expect(empty.stderr).toContain('Error: nothing to analyze: --use-kube=false and no paths');
    expect(empty.requests).toBe(0);
  });

  it("istioctl's -c (kubeconfig) and -R (recursive, always on) are accepted; -R=false is refused", async () => {
    requests.length = 0;
    const short = await runCli(['analyze', '-c', kubeconfig, '-o', 'json', '-k', '-R', file]);
    expect(short.code, short.stderr).toBe(79);
    expect(requests.length).toBeGreaterThan(0);
    const vs = JSON.parse(short.stdout).findings.map((f: { origin: string }) => f.origin);
    expect(vs).toContain('VirtualService shop/cluster-vs');
    for (const flag of ['--recursive', '--recursive=true', '-R=1'])
      expect((await analyze(flag, file)).origins, flag).toEqual(FILE_ONLY);
    const off = await analyze('--recursive=false', file);
    expect(off.code).toBe(64);
    expect(off.stderr).toContain(
      'Error: --recursive=false is not supported: mesh always walks folders recursively',
    );
  });

  it('leaves arguments after -- alone', async () => {
    const run = await analyze(file, '--', '--use-kube=false');
    expect(run.origins).toEqual(FILE_ONLY);
    expect(run.stderr).toMatch(/^error: --use-kube=false: /m);
  });
});

describe('files over the cluster: summary', () => {
  it('counts an object a file replaces once: summary.resources is what was analyzed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-use-kube-'));
    const replacing = join(dir, 'cluster-vs.yaml');
    writeFileSync(
      replacing,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: cluster-vs, namespace: shop}\nspec:\n  hosts: [a.example.com]\n  http:\n  - route:\n    - destination: {host: a.example.com}\n',
    );
    // the cluster's VirtualService and Namespace; the file's VirtualService takes the cluster's place
    const run = await runCli(['analyze', '--kubeconfig', kubeconfig, '-o', 'json', '--use-kube', replacing]);
    const summary = JSON.parse(run.stdout).summary;
    expect([summary.files, summary.resources, summary.cluster.objects]).toEqual([1, 2, 2]);
  });
});
