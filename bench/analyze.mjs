// Benchmark for `mesh analyze` (issue: foundation). Prints, from one run:
// the js-yaml loadAll floor, full analyze wall time, resources/s, peak RSS, and a one-file run next to `node -e 0`
// (cold processes run interleaved, median of BENCH_RUNS rounds, default 7).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import jsYaml from 'js-yaml';
import { generateCorpus } from './lib/corpus.mjs';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');

function median(xs) {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)];
}

function timeOnce(args) {
  const t0 = process.hrtime.bigint();
  const r = spawnSync(process.execPath, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0 && r.status !== 79) throw new Error(`${args.join(' ')} exited ${r.status}: ${r.stderr}`);
  return Number(process.hrtime.bigint() - t0) / 1e6;
}

/**
 * Median wall time of each command over `runs` rounds; every round runs each command once, in turn, so
 * that load changes on a shared machine hit all of them alike.
 */
function timeInterleaved(commands, runs) {
  const times = commands.map(() => []);
  for (let i = 0; i < runs; i++) commands.forEach((args, k) => times[k].push(timeOnce(args)));
  return times.map(median);
}

/** Peak RSS of a child, measured by GNU time when present. */
function peakRssMiB(args) {
  const r = spawnSync('/usr/bin/time', ['-f', '%M', process.execPath, ...args], {
    encoding: 'utf8',
    maxBuffer: 512 * 1024 * 1024,
  });
  const kb = Number(r.stderr.trim().split('\n').pop());
  return Number.isFinite(kb) ? kb / 1024 : NaN;
}

export function benchAnalyze({ services = 1000, runs = Number(process.env.BENCH_RUNS ?? 7) } = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-bench-'));
  try {
    const corpusDir = join(dir, 'corpus');
    const { docs, bytes, files } = generateCorpus(corpusDir, services);
    const texts = readdirSync(corpusDir).map((f) => readFileSync(join(corpusDir, f), 'utf8'));

    // Floor: js-yaml loadAll over the whole corpus, in process after one warm-up (file reading excluded).
    const floorRuns = [];
    for (let i = 0; i < runs + 1; i++) {
      const t0 = process.hrtime.bigint();
      let n = 0;
      for (const t of texts) jsYaml.loadAll(t, () => n++);
      if (i > 0) floorRuns.push(Number(process.hrtime.bigint() - t0) / 1e6);
    }
    const floor = median(floorRuns);

    // The same floor as a cold process (Node start-up included), which is how `mesh analyze` runs.
    const [floorCold, full] = timeInterleaved(
      [
        [join(ROOT, 'bench/lib/floor-parse.mjs'), corpusDir],
        [MESH, 'analyze', corpusDir, '-o', 'json'],
      ],
      runs,
    );
    const rss = peakRssMiB([MESH, 'analyze', corpusDir, '-o', 'json']);
    const out = spawnSync(process.execPath, [MESH, 'analyze', corpusDir, '-o', 'json'], {
      encoding: 'utf8',
      maxBuffer: 512 * 1024 * 1024,
    });
    const report = JSON.parse(out.stdout);

    const small = join(dir, 'one.yaml');
    writeFileSync(
      small,
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: reviews\n  namespace: default\nspec:\n  hosts: [reviews]\n  http:\n  - route:\n    - destination:\n        host: reviews\n`,
    );
    const [oneFile, nodeZero] = timeInterleaved(
      [
        [MESH, 'analyze', small],
        ['-e', '0'],
      ],
      runs * 2,
    );

    return {
      corpus: { services, docs, files, megabytes: +(bytes / 1048576).toFixed(2) },
      floorMs: +floor.toFixed(1),
      floorColdProcessMs: +floorCold.toFixed(1),
      analyzeMs: +full.toFixed(1),
      analyzeVsColdFloor: +(full / floorCold).toFixed(2),
      analyzeVsInProcessFloor: +(full / floor).toFixed(2),
      resourcesPerSecond: Math.round(report.summary.resources / (full / 1000)),
      findings: report.summary.total,
      peakRssMiB: +rss.toFixed(1),
      oneFileMs: +oneFile.toFixed(1),
      nodeE0Ms: +nodeZero.toFixed(1),
      oneFileVsNode: +(oneFile / nodeZero).toFixed(2),
      targets: { analyzeVsColdFloor: '≤ 2', peakRssMiB: '≤ 400', oneFileVsNode: '≤ 2.5' },
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (import.meta.url === `file://${process.argv[1]}`) {
  console.log(JSON.stringify(benchAnalyze(), null, 2));
}
