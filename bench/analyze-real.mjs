// `mesh analyze` on a corpus written the way real repositories are (bench/lib/corpus-real.mjs: flow
// collections, comments, anchors, multi-line strings, JSON files, `helm template` output, > 2,000 findings),
// at 8,000 and 40,000 documents. Per size: the js-yaml floor as a cold process, mesh (with and without the
// V8 code cache, and started as the GitHub Action starts it, `node --v8-pool-size=0`), and
// `istioctl analyze --use-kube=false` when the testbed has built istioctl.
// Cold processes run interleaved; median of BENCH_RUNS rounds (default 5; istioctl BENCH_ISTIOCTL_RUNS, 1). Wall time
// and CPU time (user + system, by GNU time): on a shared machine CPU time is the steadier of the two.
import { execFileSync, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateRealCorpus } from './lib/corpus-real.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const RUNS = Number(process.env.BENCH_RUNS ?? 5);
const SIZES = (process.env.BENCH_SIZES ?? '8000,40000').split(',').map(Number);
// istioctl takes minutes on these corpora (thousands of findings): one run unless asked for more.
const ISTIOCTL_RUNS = Number(process.env.BENCH_ISTIOCTL_RUNS ?? 1);

const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

const GNU_TIME = existsSync('/usr/bin/time') ? '/usr/bin/time' : undefined;

/** Wall time and, where GNU time is present, CPU time (user + system) of one run. */
function timeOnce([cmd, args, env]) {
  const cpuFile = join(tmpdir(), `mesh-bench-cpu-${process.pid}`);
  const [bin, argv] = GNU_TIME ? [GNU_TIME, ['-f', '%U %S', '-o', cpuFile, cmd, ...args]] : [cmd, args];
  const t0 = process.hrtime.bigint();
  const r = spawnSync(bin, argv, {
    encoding: 'utf8',
    maxBuffer: 1024 * 1024 * 1024,
    env: { ...process.env, ...env },
  });
  const ms = Number(process.hrtime.bigint() - t0) / 1e6;
  if (r.status !== 0 && r.status !== 79)
    throw new Error(`${cmd} ${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  let cpuMs = NaN;
  if (GNU_TIME) {
    const [user, sys] = readFileSync(cpuFile, 'utf8').trim().split('\n').pop().split(' ').map(Number);
    cpuMs = (user + sys) * 1000;
  }
  return { ms, cpuMs, stdout: r.stdout };
}

/** The testbed's istioctl, or undefined (with the reason) when it has not been built. */
export function testbedIstioctl() {
  let dir = process.env.MESH_TESTBED_BIN;
  if (!dir) {
    try {
      dir = execFileSync(join(ROOT, 'scripts/testbed/setup'), ['--bin-dir'], { encoding: 'utf8' }).trim();
    } catch {
      return { reason: 'scripts/testbed/setup --bin-dir failed' };
    }
  }
  const bin = join(dir, 'istioctl');
  return existsSync(bin) ? { bin } : { reason: `${bin} not built (npm run testbed:setup)` };
}

export function benchAnalyzeReal() {
  const istioctl = testbedIstioctl();
  const rows = [];
  for (const size of SIZES) {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-real-'));
    try {
      const corpus = generateRealCorpus(dir, size);
      const commands = [
        [process.execPath, [join(ROOT, 'bench/lib/floor-parse.mjs'), dir]],
        [process.execPath, [MESH, 'analyze', dir, '-o', 'json']],
        [process.execPath, [MESH, 'analyze', dir, '-o', 'json'], { MESH_NO_CODE_CACHE: '1' }],
        // as the GitHub Action starts it: V8's helper threads sized to the cores (see README)
        [process.execPath, ['--v8-pool-size=0', MESH, 'analyze', dir, '-o', 'json']],
      ];
      const times = commands.map(() => []);
      const cpu = commands.map(() => []);
      let findings;
      for (let i = 0; i < RUNS; i++)
        commands.forEach((c, k) => {
          const r = timeOnce(c);
          times[k].push(r.ms);
          cpu[k].push(r.cpuMs);
          if (k === 1) findings = JSON.parse(r.stdout).summary.total;
        });
      const [floor, mesh, meshNoCache, meshPool] = times.map(median);
      const [floorCpu, meshCpu, meshNoCacheCpu] = cpu.map(median);
      const row = {
        docs: corpus.docs,
        files: corpus.files,
        megabytes: +(corpus.bytes / 1048576).toFixed(2),
        findings,
        floorColdMs: +floor.toFixed(0),
        meshMs: +mesh.toFixed(0),
        meshVsFloor: +(mesh / floor).toFixed(2),
        meshNoCodeCacheMs: +meshNoCache.toFixed(0),
        meshNoCodeCacheVsFloor: +(meshNoCache / floor).toFixed(2),
        meshV8PoolSize0Ms: +meshPool.toFixed(0),
        meshV8PoolSize0VsFloor: +(meshPool / floor).toFixed(2),
        cpu: {
          floorMs: +floorCpu.toFixed(0),
          meshMs: +meshCpu.toFixed(0),
          meshVsFloor: +(meshCpu / floorCpu).toFixed(2),
          meshNoCodeCacheVsFloor: +(meshNoCacheCpu / floorCpu).toFixed(2),
        },
      };
      if (istioctl.bin) {
        const runs = [];
        const cpuRuns = [];
        for (let i = 0; i < ISTIOCTL_RUNS; i++) {
          const r = timeOnce([istioctl.bin, ['analyze', '--use-kube=false', '-A', '-o', 'json', dir]]);
          runs.push(r.ms);
          cpuRuns.push(r.cpuMs);
        }
        const ist = median(runs);
        row.istioctlMs = +ist.toFixed(0);
        row.meshVsIstioctl = +(mesh / ist).toFixed(2);
        row.cpu.istioctlMs = +median(cpuRuns).toFixed(0);
        row.cpu.meshVsIstioctl = +(meshCpu / median(cpuRuns)).toFixed(2);
        row.meshNoCodeCacheVsIstioctl = +(meshNoCache / ist).toFixed(2);
      } else {
        row.istioctl = `skipped: ${istioctl.reason}`;
      }
      rows.push(row);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return { rows, targets: { meshVsFloor: '≤ 2', meshVsIstioctl: '≤ 0.25' } };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchAnalyzeReal(), null, 2));
}
