// Benchmarks for the xDS commands (run `npm run build` first; `npm run bench -- xds` runs only this).
//  1. proxy-status: an xDS server (grpc-js with the real protos, as in the tests) answers
//     istio.io/debug/syncz with 1,000 proxies. Printed: the transfer (request → decoded response, in
//     process), the rendering of the table from the decoded response, and `mesh proxy-status` end to
//     end as a child process (start-up, proto loading, transfer, rendering).
//  2. drift over 200 proxies' saved config dumps (`mesh drift -f …` × 200, default concurrency):
//     wall time and the child's peak RSS.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateDump } from './lib/envoy-dump.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const PROXIES = Number(process.env.BENCH_PROXIES ?? 1000);
const DUMPS = Number(process.env.BENCH_DUMPS ?? 200);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

const { loadXdsProtos } = await import(join(ROOT, 'dist/xds-client/protos.js'));
const { adsRequest, SYNCZ_TYPE } = await import(join(ROOT, 'dist/xds-client/client.js'));
const status = await import(join(ROOT, 'dist/proxy-status/status.js'));

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const ms = (x) => `${x.toFixed(1)} ms`;

// --- 1. proxy-status ----------------------------------------------------------------------------
const T = 'type.googleapis.com/envoy.config.';
const TYPES = [
  `${T}cluster.v3.Cluster`,
  `${T}listener.v3.Listener`,
  `${T}endpoint.v3.ClusterLoadAssignment`,
  `${T}route.v3.RouteConfiguration`,
];
const now = Math.floor(Date.now() / 1000);
const response = {
  version_info: 'bench/1',
  type_url: SYNCZ_TYPE,
  control_plane: {
    identifier: JSON.stringify({ Component: 'istiod', ID: 'istiod-bench', Info: { version: '1.31.0' } }),
  },
  resources: Array.from({ length: PROXIES }, (_, i) => ({
    '@type': 'type.googleapis.com/envoy.service.status.v3.ClientConfig',
    node: {
      id: `app-${i % 50}-7d4f9c6b8-${String(i).padStart(5, '0')}.ns-${i % 20}`,
      metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: `ns-${i % 20}`, ISTIO_VERSION: '1.31.0' },
    },
    generic_xds_configs: TYPES.map((t, k) => ({
      type_url: t,
      config_status: k === 3 && i % 10 === 0 ? 'STALE' : 'SYNCED',
      last_updated: { seconds: now - (i % 600), nanos: 0 },
    })),
  })),
};

const { grpc, ads } = loadXdsProtos();
const server = new grpc.Server();
server.addService(ads, {
  StreamAggregatedResources(call) {
    call.on('data', () => call.write(response));
    call.on('error', () => undefined);
  },
  DeltaAggregatedResources(call) {
    call.end();
  },
});
const port = await new Promise((resolve, reject) =>
  server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (e, p) =>
    e ? reject(e) : resolve(p),
  ),
);
const address = `127.0.0.1:${port}`;
const target = { address, name: address, security: { mode: 'plaintext' } };

const transfer = [];
const render = [];
let bytes = 0;
for (let r = 0; r < RUNS; r++) {
  let t = performance.now();
  const res = await adsRequest(target, SYNCZ_TYPE, [], { timeoutMs: 30_000, namespace: 'istio-system' });
  transfer.push(performance.now() - t);
  t = performance.now();
  const out = status.renderStatusTable(
    status.rowsOf([{ replica: address, response: res }]),
    'current',
    Date.now(),
  );
  render.push(performance.now() - t);
  bytes = out.length;
}
const e2e = [];
for (let r = 0; r < RUNS; r++) {
  const t = performance.now();
  // async: the server lives in this process
  const code = await new Promise((resolve) => {
    import('node:child_process').then(({ spawn }) => {
      const c = spawn(process.execPath, [MESH, 'proxy-status', '--xds-address', address, '--plaintext'], {
        stdio: 'ignore',
      });
      c.on('exit', resolve);
    });
  });
  if (code !== 0) throw new Error(`mesh proxy-status exited ${code}`);
  e2e.push(performance.now() - t);
}
server.forceShutdown();
console.log(`proxy-status, syncz of ${PROXIES} proxies (median of ${RUNS}):`);
console.log(`  transfer (request -> decoded response)   ${ms(median(transfer))}`);
console.log(`  render table (${bytes} bytes)            ${ms(median(render))}`);
console.log(`  mesh proxy-status end to end (child)    ${ms(median(e2e))}`);

// --- 2. drift -------------------------------------------------------------------------------------
const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-drift-'));
try {
  const base = join(dir, 'base.json');
  generateDump(base, 40);
  const size = statSync(base).size;
  const { readFileSync } = await import('node:fs');
  const text = readFileSync(base, 'utf8');
  const args = ['drift'];
  for (let i = 0; i < DUMPS; i++) {
    const f = join(dir, `web-${i}.json`);
    // every 50th replica drifted: one connect timeout changed
    writeFileSync(
      f,
      i % 50 === 7 ? text.replace(/"connect_timeout": "[^"]*"/, '"connect_timeout": "99s"') : text,
    );
    args.push('-f', `web-${i}.shop=${f}`);
  }
  const preload = join(dir, 'rss-at-exit.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => require('fs').writeSync(2, 'MESH_BENCH_RSS ' + process.resourceUsage().maxRSS + '\\n'));\n",
  );
  const walls = [];
  const rss = [];
  for (let r = 0; r < Math.min(RUNS, 3); r++) {
    const t = performance.now();
    const p = spawnSync(process.execPath, ['--require', preload, MESH, ...args], {
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    walls.push(performance.now() - t);
    if (p.status !== 79) throw new Error(`mesh drift exited ${p.status}: ${p.stderr}`);
    rss.push(Number(/MESH_BENCH_RSS (\d+)/.exec(p.stderr.toString())[1]) / 1024);
  }
  console.log(`drift over ${DUMPS} dumps of ${(size / 1e6).toFixed(2)} MB each (median of ${walls.length}):`);
  console.log(`  wall ${ms(median(walls))}, peak RSS ${median(rss).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
}
