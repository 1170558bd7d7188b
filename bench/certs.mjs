// Benchmark for `mesh certs` over many proxies (run `npm run build` first). One in-process HTTP server
// stands in for N Envoy admin endpoints (proxy i answers under /p<i>/config_dump with its SDS secrets, as
// Envoy answers the secrets mask); `mesh certs` runs as a child process with N --admin-url flags.
// Prints wall time and the child's peak RSS (GNU time) per concurrency setting.
// Certificates are real (openssl): one root and a pool of workload certificates cycled over the proxies.
import { execFileSync, spawn } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = new URL('..', import.meta.url).pathname;
const MESH = join(ROOT, 'bin/mesh.js');
const PROXIES = Number(process.env.BENCH_PROXIES ?? 500);
const POOL = 40;

function generate(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    '/O=cluster.local',
  );
  const leaves = [];
  for (let i = 0; i < POOL; i++) {
    const san = `subjectAltName=URI:spiffe://cluster.local/ns/ns${i % 8}/sa/sa${i}`;
    writeFileSync(join(dir, 'ext.cnf'), `${san}\nbasicConstraints=critical,CA:FALSE\n`);
    run('req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=workload');
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(1000 + i),
      '-days',
      String(1 + (i % 30)),
      '-extfile',
      'ext.cnf',
      '-out',
      'leaf.pem',
    );
    leaves.push(readFileSync(join(dir, 'leaf.pem'), 'utf8'));
  }
  return { root: readFileSync(join(dir, 'ca.pem'), 'utf8'), leaves };
}

function dumpBody(chain, root) {
  const b64 = (s) => Buffer.from(s).toString('base64');
  const secret = (name, body) => ({
    name,
    version_info: '2026-01-01T00:00:00Z',
    last_updated: '2026-01-01T00:00:00.000Z',
    secret: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name,
      ...body,
    },
  });
  return JSON.stringify(
    {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
          dynamic_active_secrets: [
            secret('default', {
              tls_certificate: {
                certificate_chain: { inline_bytes: b64(chain + root) },
                private_key: { inline_bytes: b64('[redacted]') },
              },
            }),
            secret('ROOTCA', { validation_context: { trusted_ca: { inline_bytes: b64(root) } } }),
          ],
        },
      ],
    },
    null,
    1,
  );
}

function runMesh(args) {
  return new Promise((resolve, reject) => {
    const t0 = process.hrtime.bigint();
    const child = spawn('/usr/bin/time', ['-f', '%M', process.execPath, MESH, ...args], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c) => (stdout += c));
    child.stderr.on('data', (c) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => {
      const ms = Number(process.hrtime.bigint() - t0) / 1e6;
      const kb = Number(stderr.trim().split('\n').pop());
      resolve({ code, ms, rssMiB: kb / 1024, stdout, stderr });
    });
  });
}

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
