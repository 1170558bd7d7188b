// Benchmark for `mesh certs -A` over many pods on the real path (run `npm run build` first): the
// testbed's etcd, kube-apiserver, kube-scheduler and kwok, N sidecar-shaped pods on the kwok node, and
// behind each pod's port 15000 (kwok's port-forward) a stand-in Envoy admin server answering with its
// SDS secrets. mesh lists the pods and port-forwards to every one through the API server, at most
// --concurrency at a time. Prints wall time, proxies/s and the child's peak RSS (GNU time).
// Skipped, with a note, when the testbed binaries are not built (`npm run testbed:setup`).
import { execFileSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTestbedSupport } from '../scripts/testbed/support.mjs';
import { dumpBody, generate } from './lib/cert-dumps.mjs';
import { runMesh } from './lib/run-mesh.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PODS = Number(process.env.BENCH_PODS ?? 500);
const NEEDED = ['etcd', 'kube-apiserver', 'kube-scheduler', 'kwok'];

const binDir =
  process.env.MESH_TESTBED_BIN ??
  execFileSync(join(ROOT, 'scripts/testbed/setup'), ['--bin-dir'], { encoding: 'utf8' }).trim();
const missing = NEEDED.filter((b) => !existsSync(join(binDir, b)));
if (missing.length > 0) {
  console.log(
    `skipped: testbed binaries missing in ${binDir} (${missing.join(', ')}); run npm run testbed:setup`,
  );
  process.exit(0);
}
if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run npm run build first');

/** One stand-in admin server per pod (its own port, as each sidecar has), answering with its dump. */
async function startAdmins(bodies) {
  const servers = await Promise.all(
    Array.from({ length: PODS }, (_, i) => {
      const body = bodies[i % bodies.length];
      const server = http.createServer((req, res) => {
        if (req.url?.startsWith('/config_dump')) {
          res.writeHead(200, {
            'content-type': 'application/json',
            'content-length': Buffer.byteLength(body),
          });
          return void res.end(body);
        }
        // /ready and anything else: a short answer with its length, as Envoy sends.
        res.writeHead(200, { 'content-type': 'text/plain', 'content-length': 5 }).end('LIVE\n');
      });
      return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
    }),
  );
  return {
    ports: servers.map((s) => s.address().port),
    close: () => Promise.all(servers.map((s) => new Promise((r) => s.close(r)))),
  };
}

async function main() {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-pods-'));
  let testbed;
  let admins;
  try {
    // the harness finds the testbed binaries through this, wherever it was bundled to
    process.env.MESH_TESTBED_BIN = binDir;
    const { startTestbed, clientsFor, createSidecarPods } = await loadTestbedSupport([
      'testbed',
      'kube',
      'sidecars',
    ]);
    let t0 = Date.now();
    const { root, leaves } = generate(dir);
    admins = await startAdmins(leaves.map((leaf) => dumpBody(leaf, root)));
    testbed = await startTestbed({ nodes: true });
    const testbedMs = Date.now() - t0;
    t0 = Date.now();
    const c = clientsFor(testbed.kubeconfig);
    const perNamespace = 50;
    for (let n = 0; n * perNamespace < PODS; n++) {
      const specs = admins.ports
        .slice(n * perNamespace, (n + 1) * perNamespace)
        .map((port, i) => ({ name: `svc${i}-0`, app: `svc${i}`, forwards: { 15000: port } }));
      await createSidecarPods(c, `team-${n}`, specs, { timeoutMs: 300_000 });
    }
    const podsMs = Date.now() - t0;
    const results = {};
    for (const concurrency of [16, 64]) {
      const r = await runMesh([
        'certs',
        '-A',
        '--kubeconfig',
        testbed.kubeconfig,
        '-o',
        'json',
        '--concurrency',
        String(concurrency),
      ]);
      if (r.code !== 79 && r.code !== 0) throw new Error(`mesh certs exited ${r.code}: ${r.stderr}`);
      const report = JSON.parse(r.stdout);
      const failed = report.proxies.filter((p) => p.error);
      if (report.proxies.length !== PODS || failed.length > 0)
        throw new Error(
          `expected ${PODS} proxies read, got ${report.proxies.length} (${failed.length} failed: ${failed[0]?.error})`,
        );
      results[`concurrency${concurrency}`] = {
        wallMs: +r.ms.toFixed(0),
        proxiesPerSecond: Math.round(PODS / (r.ms / 1000)),
        peakRssMiB: +r.rssMiB.toFixed(1),
        exitCode: r.code,
      };
    }
    console.log(
      JSON.stringify({ pods: PODS, testbedStartMs: testbedMs, podsReadyMs: podsMs, ...results }, null, 2),
    );
  } finally {
    await testbed?.stop();
    await admins?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
