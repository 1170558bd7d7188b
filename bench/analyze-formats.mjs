// `mesh analyze` with many findings in every output format: BENCH_GATEWAYS Gateways (default 400) sharing one
// certificate on port 443, each pair an IST0138 as istioctl reports it (400: 159,600 findings). Per format:
// median wall time of BENCH_RUNS cold processes (default 3, formats interleaved), peak RSS, output size.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { sharedCertGateways } from './lib/shared-cert-gateways.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const GATEWAYS = Number(process.env.BENCH_GATEWAYS ?? 400);
const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const FORMATS = ['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate'];
const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

/** Wall time, peak RSS (GNU time) and output size of one run, its output written to a file. */
function runOnce(file, format, dir) {
  const out = join(dir, `out.${format}`);
  const rssFile = join(dir, 'rss');
  const args = [process.execPath, MESH, 'analyze', file, '-o', format];
  const [bin, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%M', '-o', rssFile, ...args]] : [args[0], args.slice(1)];
  const t0 = process.hrtime.bigint();
  const r = spawnSync('sh', ['-c', `"$0" "$@" > '${out}'`, bin, ...argv], { encoding: 'utf8' });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 79) throw new Error(`-o ${format} exited ${r.status}: ${r.stderr}`);
  const rss = GNU_TIME ? Number(readFileSync(rssFile, 'utf8').trim().split('\n').pop()) / 1024 : NaN;
  return { ms, rssMiB: rss, megabytes: statSync(out).size / 1048576 };
}

export function benchAnalyzeFormats() {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-formats-'));
  try {
    const file = join(dir, 'gateways.yaml');
    writeFileSync(file, sharedCertGateways(GATEWAYS));
    const runs = Object.fromEntries(FORMATS.map((f) => [f, []]));
    for (let i = 0; i < RUNS; i++) for (const f of FORMATS) runs[f].push(runOnce(file, f, dir));
    const rows = FORMATS.map((format) => ({
      format,
      ms: +median(runs[format].map((r) => r.ms)).toFixed(0),
      peakRssMiB: +median(runs[format].map((r) => r.rssMiB)).toFixed(0),
      megabytes: +runs[format][0].megabytes.toFixed(1),
    }));
    return { gateways: GATEWAYS, findings: GATEWAYS * (GATEWAYS - 1), rows };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchAnalyzeFormats(), null, 2));
}
