// Benchmark for `mesh certs` over many proxies (run `npm run build` first). One in-process HTTP server
// stands in for N Envoy admin endpoints (proxy i answers under /p<i>/config_dump with its SDS secrets, as
// Envoy answers the secrets mask); `mesh certs` runs as a child process with N --admin-url flags.
// Prints wall time and the child's peak RSS (GNU time) per concurrency setting.
// Certificates are real (openssl): one root and a pool of workload certificates cycled over the proxies.
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { POOL, dumpBody, generate } from './lib/cert-dumps.mjs';
import { runMesh } from './lib/run-mesh.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const PROXIES = Number(process.env.BENCH_PROXIES ?? 500);

async function main() {
  if (!existsSync(join(ROOT, 'dist/cli.js'))) throw new Error('dist/ is missing: run npm run build first');
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-certs-'));
  try {
    const t0 = Date.now();
    const { root, leaves } = generate(dir);
    const bodies = leaves.map((leaf) => dumpBody(leaf, root));
    const setupMs = Date.now() - t0;
    let served = 0;
    const server = http.createServer((req, res) => {
      const m = /^\/p(\d+)\/config_dump/.exec(req.url ?? '');
      if (!m) return void res.writeHead(404).end();
      served++;
      const body = bodies[Number(m[1]) % bodies.length];
      res.writeHead(200, { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body) });
      res.end(body);
    });
    await new Promise((r) => server.listen(0, '127.0.0.1', r));
    const base = `http://127.0.0.1:${server.address().port}`;
    const urls = Array.from({ length: PROXIES }, (_, i) => ['--admin-url', `${base}/p${i}`]).flat();
    const results = {};
    for (const concurrency of [16, 64]) {
      served = 0;
      const r = await runMesh(['certs', ...urls, '-o', 'json', '--concurrency', String(concurrency)]);
      if (r.code !== 79 && r.code !== 0) throw new Error(`mesh certs exited ${r.code}: ${r.stderr}`);
      const report = JSON.parse(r.stdout);
      if (report.proxies.length !== PROXIES || served !== PROXIES)
        throw new Error(`expected ${PROXIES} proxies, got ${report.proxies.length} (served ${served})`);
      results[`concurrency${concurrency}`] = {
        wallMs: +r.ms.toFixed(0),
        proxiesPerSecond: Math.round(PROXIES / (r.ms / 1000)),
        peakRssMiB: +r.rssMiB.toFixed(1),
        exitCode: r.code,
        expiring: report.summary.expiring,
      };
    }
    server.close();
    console.log(
      JSON.stringify({ proxies: PROXIES, distinctCertificates: POOL, setupMs, ...results }, null, 2),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

await main();
