// `mesh analyze` on a live cluster: the testbed's real etcd + kube-apiserver holding ≥ 5,000 objects
// (bench/lib/corpus-real.mjs objects plus a Pod per service, across 40 namespaces). Prints the time mesh
// spends listing (discovery and paginated lists) and the rest of its wall time (start-up, analysis,
// output) separately, next to `istioctl analyze -A` on the same server. Skipped, with a note, when the
// testbed binaries have not been built (npm run testbed:setup).
import { spawnSync } from 'node:child_process';
import { copyFileSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestbedSupport } from '../scripts/testbed/support.mjs';
import { objects } from './lib/corpus-real.mjs';
import { testbedIstioctl } from './analyze-real.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const SERVICES = Number(process.env.BENCH_SERVICES ?? 560);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function timed(cmd, args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1024 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 79)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return { ms: Number(process.hrtime.bigint() - t0) / 1e6, stdout: r.stdout };
}

async function inBatches(items, size, fn) {
  for (let i = 0; i < items.length; i += size) await Promise.all(items.slice(i, i + size).map(fn));
}

export async function benchAnalyzeCluster() {
  const istioctl = testbedIstioctl();
  if (!istioctl.bin) return { skipped: istioctl.reason };
  const binDir = join(istioctl.bin, '..');
  for (const b of ['etcd', 'kube-apiserver'])
    if (!existsSync(join(binDir, b)))
      return { skipped: `${join(binDir, b)} not built (npm run testbed:setup)` };
  const { startTestbed } = await loadTestbedSupport();
  const { KubeConfig, KubernetesObjectApi, PatchStrategy } = await import('@kubernetes/client-node');
  const { istioCrds } = await import(join(ROOT, 'dist/install/crds.js'));
  const testbed = await startTestbed();
  const own = mkdtempSync(join(tmpdir(), 'mesh-bench-cluster-'));
  try {
    // A private copy of the kubeconfig and CA: the run is long, and /tmp is shared with other work.
    const kubeconfig = join(own, 'admin.kubeconfig');
    copyFileSync(testbed.caFile, join(own, 'ca.crt'));
    writeFileSync(
      kubeconfig,
      readFileSync(testbed.kubeconfig, 'utf8').replace(testbed.caFile, join(own, 'ca.crt')),
    );
    const kc = new KubeConfig();
    kc.loadFromFile(kubeconfig);
    const api = KubernetesObjectApi.makeApiClient(kc);
    const apply = (o) =>
      api.patch(o, undefined, undefined, 'mesh-bench', true, PatchStrategy.ServerSideApply);
    await inBatches(istioCrds(), 8, apply);
    await new Promise((r) => setTimeout(r, 3000)); // CRDs become Established
    const namespaces = Array.from({ length: 40 }, (_, i) => ({
      apiVersion: 'v1',
      kind: 'Namespace',
      metadata: { name: `team-${i}`, labels: { 'istio-injection': 'enabled' } },
    }));
    await inBatches(namespaces, 10, apply);
    const all = [];
    for (let i = 0; i < SERVICES; i++) {
      const objs = objects(i, SERVICES);
      // Headless: the testbed's Service IP range (a /24) holds 254 addresses.
      objs[0].spec.clusterIP = 'None';
      const ns = objs[0].metadata.namespace;
      all.push(...objs, {
        apiVersion: 'v1',
        kind: 'Pod',
        metadata: { name: `svc-${i}-0`, namespace: ns, labels: { app: `svc-${i}`, version: 'v1' } },
        spec: { containers: [{ name: 'app', image: `registry.example.com/svc-${i}:1.0.0` }] },
      });
    }
    const t0 = Date.now();
    await inBatches(all, 32, apply);
    const createMs = Date.now() - t0;

    const args = ['analyze', '-A', '--kubeconfig', kubeconfig, '-o', 'json'];
    const mesh = [];
    const ist = [];
    let summary;
    for (let i = 0; i < RUNS; i++) {
      const m = timed(process.execPath, [MESH, ...args]);
      summary = JSON.parse(m.stdout).summary;
      mesh.push({ wall: m.ms, list: summary.cluster.listMs });
      ist.push(timed(istioctl.bin, args).ms);
    }
    const wall = median(mesh.map((m) => m.wall));
    const list = median(mesh.map((m) => m.list));
    const istioctlMs = median(ist);
    return {
      objects: summary.cluster.objects,
      objectsCreated: all.length + namespaces.length,
      createMs,
      findings: summary.total,
      meshWallMs: +wall.toFixed(0),
      meshListMs: list,
      meshAnalysisAndOutputMs: +(wall - list).toFixed(0),
      istioctlWallMs: +istioctlMs.toFixed(0),
      meshVsIstioctl: +(wall / istioctlMs).toFixed(2),
    };
  } finally {
    await testbed.stop();
    rmSync(own, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(await benchAnalyzeCluster(), null, 2));
}
