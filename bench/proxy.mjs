// Benchmark for `mesh proxy-config` on a large Envoy config dump (run `npm run build` first).
// Generates a realistic ≈50 MB sidecar dump (outbound EDS clusters with TLS and metadata, per-service
// listeners with HTTP and TCP filter chains, route configurations with many virtual hosts, EDS
// endpoints, secrets) and times, as child processes:
//   - a bare `JSON.parse` of the file (read + parse, the floor),
//   - `mesh proxy-config cluster --file big.json`,
//   - `mesh proxy-config all --file big.json`,
// printing the median of a few runs and the ratio to the floor (target ≤ 1.5×). Also prints in-process
// figures from dist/: parse once, then each table.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { performance } from 'node:perf_hooks';
import { generateDump } from './lib/envoy-dump.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const SERVICES = Number(process.env.BENCH_SERVICES ?? 3200);
const RUNS = Number(process.env.BENCH_RUNS ?? 5);

// Each child reports its own CPU time (user + system) at exit through a preloaded hook, which is far
// steadier than wall time on a busy machine; both are printed.
function measure(preload, args) {
  const t = performance.now();
  const p = spawnSync(process.execPath, ['--require', preload, ...args], {
    stdio: ['ignore', 'ignore', 'pipe'],
    maxBuffer: 1 << 30,
  });
  const wall = performance.now() - t;
  const stderr = p.stderr.toString();
  const m = /MESH_BENCH_CPU (\d+)/.exec(stderr);
  if (p.status !== 0 || !m) throw new Error(`${args.join(' ')} failed: ${stderr}`);
  return { wall, cpu: Number(m[1]) / 1000 };
}

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Runs every command once per round, interleaved, so load changes hit all of them alike. */
function timeAll(preload, commands) {
  const samples = commands.map(() => ({ wall: [], cpu: [] }));
  for (let r = 0; r < RUNS; r++) {
    commands.forEach(([, args], i) => {
      const { wall, cpu } = measure(preload, args);
      samples[i].wall.push(wall);
      samples[i].cpu.push(cpu);
    });
  }
  return commands.map(([label], i) => ({
    label,
    wall: median(samples[i].wall),
    cpu: median(samples[i].cpu),
  }));
}

// BENCH_DUMP=<path> keeps the generated dump there (for profiling); otherwise a temp dir is removed.
const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-proxy-'));
try {
  const file = process.env.BENCH_DUMP ?? join(dir, 'big.json');
  generateDump(file, SERVICES);
  const mb = statSync(file).size / 1e6;
  console.log(
    `dump: ${mb.toFixed(1)} MB, ${SERVICES * 2 + 1} clusters, ${SERVICES} listeners, ${Math.ceil(SERVICES / 20)} route configs (${SERVICES} vhosts), ${SERVICES * 3} endpoints; median of ${RUNS} runs`,
  );

  const preload = join(dir, 'cpu-at-exit.cjs');
  writeFileSync(
    preload,
    "process.on('exit', () => { const u = process.cpuUsage(); require('fs').writeSync(2, 'MESH_BENCH_CPU ' + (u.user + u.system) + '\\n'); });\n",
  );
  const results = timeAll(preload, [
    [
      'bare JSON.parse (node -e, read + parse)',
      ['-e', `JSON.parse(require('fs').readFileSync(${JSON.stringify(file)}, 'utf8'))`],
    ],
    ...['cluster', 'listener', 'route', 'all'].map((sub) => [
      `mesh proxy-config ${sub} --file big.json`,
      [MESH, 'proxy-config', sub, '--file', file],
    ]),
  ]);
  const [floor] = results;
  console.log(
    `  ${''.padEnd(44)} ${'wall'.padStart(8)} ${'ratio'.padStart(6)} ${'cpu'.padStart(8)} ${'ratio'.padStart(6)}`,
  );
  for (const r of results)
    console.log(
      `  ${r.label.padEnd(44)} ${r.wall.toFixed(0).padStart(5)} ms ${(r.wall / floor.wall).toFixed(2).padStart(5)}× ${r.cpu.toFixed(0).padStart(5)} ms ${(r.cpu / floor.cpu).toFixed(2).padStart(5)}×`,
    );

  // in-process: where the time goes
  const { readFileSync } = await import('node:fs');
  const { ConfigDump } = await import(join(ROOT, 'dist/envoy/dump.js'));
  const s = await import(join(ROOT, 'dist/envoy/summary.js'));
  const { decodeUtf8 } = await import(join(ROOT, 'dist/util/input.js'));
  let t = performance.now();
  const text = decodeUtf8(readFileSync(file)); // as mesh reads --file
  const readMs = performance.now() - t;
  t = performance.now();
  const dump = ConfigDump.parse(text, file);
  const parseMs = performance.now() - t;
  console.log(
    `  in-process: read ${readMs.toFixed(0)} ms, index sections ${parseMs.toFixed(0)} ms (each is parsed on first use)`,
  );
  const rows = (table) => `${table.split('\n').length - 2} rows`;
  const phases = [
    ['parse clusters', () => `${dump.clusters().length} clusters`],
    ['cluster table', () => rows(s.clusterSummary(dump, {}))],
    ['parse listeners', () => `${dump.listeners().length} listeners`],
    ['listener table', () => rows(s.listenerSummary(dump, {}, true))],
    ['parse routes', () => `${dump.routes().length} route configs`],
    ['route table', () => rows(s.routeSummary(dump, undefined, true))],
    ['parse eds', () => `${dump.endpoints().length} load assignments`],
    ['eds table', () => rows(s.edsSummary(dump, {}))],
  ];
  for (const [label, f] of phases) {
    t = performance.now();
    const what = f();
    console.log(
      `  in-process: ${label.padEnd(16)} ${(performance.now() - t).toFixed(0).padStart(5)} ms (${what})`,
    );
  }
} finally {
  rmSync(dir, { recursive: true, force: true });
}
