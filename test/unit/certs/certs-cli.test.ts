import { writeFileSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startEnvoyAdmin, type AdminServer } from '../../support/envoy-admin-server.js';
import { makeCa, makeWorkloadCert, secretsDump, type TestCa } from '../../support/certs.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';
import { closedPort } from '../../support/closed-port.js';

const spiffe = (ns: string, sa: string) => `spiffe://cluster.local/ns/${ns}/sa/${sa}`;
let rootA: TestCa;
let rootB: TestCa;
let admin: AdminServer;
let PRIVATE_KEY: string;

beforeAll(async () => {
  rootA = makeCa('cluster.local', { fromDays: -30, toDays: 3650 }, '0a');
  rootB = makeCa('cluster.local', { fromDays: -30, toDays: 3650 }, '0b');
  const leaf = (sa: string, fromDays: number, toDays: number, root = rootA, serial = '1001') =>
    makeWorkloadCert(root, spiffe('shop', sa), { fromDays, toDays }, serial);
  const valid = leaf('web', -1, 60, rootA, '2001');
  PRIVATE_KEY = valid.keyPem;
  const proxies = {
    valid: { dump: secretsDump({ chain: valid.certPem, roots: rootA.certPem, privateKey: PRIVATE_KEY }) },
    expiring: {
      dump: secretsDump({ chain: leaf('cart', -20, 2, rootA, '2002').certPem, roots: rootA.certPem }),
    },
    expired: {
      dump: secretsDump({ chain: leaf('old', -20, -1, rootA, '2003').certPem, roots: rootA.certPem }),
    },
    otherRoot: {
      dump: secretsDump({ chain: leaf('pay', -1, 60, rootB, '2004').certPem, roots: rootB.certPem }),
    },
    mid: {
      dump: secretsDump({ chain: valid.certPem, roots: rootA.certPem }),
      fault: { kind: 'close-mid-body' as const },
    },
    garbage: {
      dump: secretsDump({ chain: valid.certPem, roots: rootA.certPem }),
      fault: { kind: 'garbage' as const },
    },
    slow: {
      dump: secretsDump({ chain: valid.certPem, roots: rootA.certPem }),
      fault: { kind: 'delay' as const, delayMs: 3000 },
    },
    truncated: {
      dump: secretsDump({ chain: valid.certPem, roots: rootA.certPem, privateKey: PRIVATE_KEY }),
      fault: { kind: 'truncate' as const },
    },
  };
  admin = await startEnvoyAdmin(undefined, proxies);
});
afterAll(() => admin.close());

const url = (id: string) => ['--admin-url', admin.urlOf(id)];

describe('mesh certs through --admin-url', () => {
  it('exits 0 and prints leaf and root tables for healthy proxies, asking Envoy for the secrets only', async () => {
    const r = await runCli(['certs', ...url('valid')]);
    expect(r.code).toBe(0);
    const lines = r.stdout.split('\n');
    expect(lines[0]).toMatch(
      /^PROXY\s+SECRET\s+KIND\s+SERIAL\s+NOT AFTER\s+EXPIRES IN\s+ISSUER\s+IDENTITY\s+STATUS$/,
    );
    expect(lines[1]).toMatch(
      new RegExp(
        `^${admin.urlOf('valid')}\\s+default\\s+leaf\\s+0{26}002001\\s+\\S+Z\\s+(59d|60d)\\s+O=cluster.local\\s+${spiffe('shop', 'web')}\\s+OK$`,
      ),
    );
    expect(r.stdout).toMatch(
      /\nROOT SET\s+PROXIES\s+SUBJECT\s+SERIAL\s+SHA-256\s+NOT AFTER\s+EXPIRES IN\s+TRUST DOMAIN\s+STATUS\n1\s+1\s+O=cluster.local\s+0{30}0a\s+(?:[0-9A-F]{2}:){7}[0-9A-F]{2}\s/,
    );
    expect(r.stderr).toBe('');
    expect(admin.requests).toContain(
      'GET /valid/config_dump?mask=dynamic_active_secrets%2Cdynamic_warming_secrets',
    );
  });

  it('sorts soonest expiry first and exits 79 for expired and expiring certificates', async () => {
    const r = await runCli(['certs', ...url('valid'), ...url('expiring'), ...url('expired')]);
    expect(r.code).toBe(79);
    const rows = r.stdout.split('\n').slice(1, 4);
    expect(rows.map((l) => l.trim().split(/\s+/).pop())).toEqual(['EXPIRED', 'EXPIRING', 'OK']);
    expect(rows[0]).toContain(admin.urlOf('expired'));
    expect(r.stderr).toContain('Found 1 expired and 1 expiring (within 7d) certificate(s).');
  });

  it('--warn widens or narrows the window', async () => {
    expect((await runCli(['certs', ...url('expiring'), '--warn', '1d'])).code).toBe(0);
    expect((await runCli(['certs', ...url('valid'), '--warn', '90d'])).code).toBe(79);
    expect((await runCli(['certs', ...url('valid'), '--warn', 'soon'])).code).toBe(64);
    // 7 what? read as seconds it would warn about nothing
    const bare = await runCli(['certs', ...url('valid'), '--warn', '7']);
    expect([bare.code, bare.stderr]).toEqual([
      64,
      'Error: invalid --warn "7": give a unit\nHint: for example 7d, 36h or 30m\n',
    ]);
  });

  it('groups proxies by root and flags differing roots (exit 79)', async () => {
    const r = await runCli(['certs', ...url('valid'), ...url('expiring'), ...url('otherRoot'), '-o', 'json']);
    expect(r.code).toBe(79);
    const report = JSON.parse(r.stdout);
    expect(report.summary.rootsDiffer).toBe(true);
    expect(
      report.roots.map((s: any) => [s.id, s.proxies.length, s.certificates[0].serial.slice(-2)]),
    ).toEqual([
      [1, 2, '0a'],
      [2, 1, '0b'],
    ]);
    // each proxy names its root set by the id the roots[] entry (and the table) shows
    expect(report.proxies.map((p: any) => [p.proxy, p.rootSet])).toEqual([
      [admin.urlOf('valid'), 1],
      [admin.urlOf('expiring'), 1],
      [admin.urlOf('otherRoot'), 2],
    ]);
    for (const p of report.proxies)
      expect(report.roots.find((s: any) => s.id === p.rootSet).proxies).toContain(p.proxy);
    const table = await runCli(['certs', ...url('valid'), ...url('expiring'), ...url('otherRoot')]);
    expect(table.stdout).toMatch(/\n1\/2\s+2\s+O=cluster.local/);
    expect(table.stdout).toMatch(/\n2\/2\s+1\s+O=cluster.local/);
    expect(table.stderr).toContain(
      `warning: roots differ: root set 2 (trusted by 1 proxies: ${admin.urlOf('otherRoot')})`,
    );
  });

  it('reports failing proxies as error rows while the others still print', async () => {
    const refused = `http://127.0.0.1:${await closedPort()}`;
    const r = await runCli([
      'certs',
      ...url('valid'),
      ...url('mid'),
      ...url('garbage'),
      ...url('slow'),
      '--admin-url',
      refused,
      '--timeout',
      '1s',
    ]);
    expect(r.code).toBe(1);
    const rows = r.stdout.split('\n');
    expect(rows[1]).toContain(admin.urlOf('valid'));
    const errorOf = (label: string) => rows.find((l) => l.startsWith(label + ' '))?.replace(/^.*ERROR: /, '');
    expect(errorOf(admin.urlOf('mid'))).toMatch(/truncated/);
    expect(errorOf(admin.urlOf('garbage'))).toMatch(/config dump/);
    expect(errorOf(admin.urlOf('slow'))).toMatch(/no answer within 1s/);
    expect(errorOf(refused)).toMatch(/connection refused/);
    expect(r.stderr).toContain('4 of 5 proxies could not be read.');
  });

  it('exits 79 (not 1) when a proxy failed and another has an expiry finding', async () => {
    const r = await runCli(['certs', ...url('expired'), ...url('garbage')]);
    expect(r.code).toBe(79);
  });

  it('never prints private keys, in any format, even from a truncated dump', async () => {
    const keyBody = PRIVATE_KEY.split('\n')[1]!;
    const b64 = Buffer.from(PRIVATE_KEY).toString('base64');
    for (const fmt of ['table', 'json', 'yaml']) {
      const r = await runCli(['certs', ...url('valid'), ...url('truncated'), '-o', fmt]);
      for (const secret of [keyBody, b64.slice(0, 40), 'PRIVATE KEY']) {
        expect(r.stdout).not.toContain(secret);
        expect(r.stderr).not.toContain(secret);
      }
    }
  });

  it('reads dump files (-f, repeatable) and reports a missing one as an error row', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-certs-cli-'));
    const good = join(dir, 'dump.json');
    writeFileSync(
      good,
      JSON.stringify(
        secretsDump({
          chain: makeWorkloadCert(rootA, spiffe('a', 'b'), { fromDays: -1, toDays: 30 }).certPem,
          roots: rootA.certPem,
        }),
      ),
    );
    const bad = join(dir, 'bad.json');
    writeFileSync(bad, '{"configs": [');
    const r = await runCli(['certs', '-f', good, '-f', bad, '-f', join(dir, 'missing.json'), '-o', 'json']);
    expect(r.code).toBe(1);
    const report = JSON.parse(r.stdout);
    expect(report.proxies.map((p: any) => [p.proxy, p.error === undefined])).toEqual([
      [good, true],
      [bad, false],
      [join(dir, 'missing.json'), false],
    ]);
    expect(report.proxies[1].error).toMatch(/truncated/);
    expect(report.proxies[2].error).toBe(`open ${join(dir, 'missing.json')}: no such file or directory`);
  });

  it('rejects bad flags before any network call', async () => {
    expect((await runCli(['certs', '--admin-url', 'nota url'])).code).toBe(64);
    expect((await runCli(['certs', '-n', 'a', '-A'])).code).toBe(64);
    expect((await runCli(['certs', ...url('valid'), '--concurrency', '0'])).code).toBe(64);
    expect((await runCli(['certs', ...url('valid'), '-o', 'xml'])).code).toBe(64);
  });
});

describe('mesh certs with certificates it cannot fully read', () => {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-certs-odd-'));
  const dumpFile = (name: string, o: { chain: string; roots: string }) => {
    const file = join(dir, name);
    writeFileSync(file, JSON.stringify(secretsDump(o)));
    return file;
  };
  const cells = (line: string) => line.trim().split(/\s{2,}/);

  it('shows an unreadable root (garbage or a private key) as an INVALID row of its proxy, exit 79', async () => {
    const chain = makeWorkloadCert(rootA, spiffe('a', 'b'), { fromDays: -1, toDays: 30 }).certPem;
    const garbage = dumpFile('garbage-root.json', { chain, roots: 'not a certificate' });
    const key = dumpFile('key-root.json', { chain, roots: PRIVATE_KEY });
    const r = await runCli(['certs', '-f', garbage, '-f', key]);
    expect(r.code).toBe(79);
    const rows = r.stdout.split('\n').map(cells);
    expect(rows).toContainEqual([
      garbage,
      'ROOTCA',
      'root',
      '-',
      '-',
      '-',
      '-',
      '-',
      'INVALID: no PEM certificate in the data',
    ]);
    expect(rows).toContainEqual([
      key,
      'ROOTCA',
      'root',
      '-',
      '-',
      '-',
      '-',
      '-',
      'INVALID: a private key (not shown), no certificate',
    ]);
    expect(r.stderr).toContain('2 invalid');
    expect(r.stdout + r.stderr).not.toContain(PRIVATE_KEY.split('\n')[1]!);
    const json = JSON.parse((await runCli(['certs', '-f', garbage, '-o', 'json'])).stdout);
    expect(json.proxies[0].certificates.map((c: any) => [c.secret, c.kind, c.status])).toContainEqual([
      'ROOTCA',
      'root',
      'INVALID',
    ]);
  });

  it('describes a certificate whose SPIFFE SAN is no URL, its identity as written (exit 0)', async () => {
    const leaf = makeWorkloadCert(rootA, 'spiffe://bad host/ns/x', { fromDays: -1, toDays: 30 });
    const file = dumpFile('bad-san.json', { chain: leaf.certPem, roots: rootA.certPem });
    const r = await runCli(['certs', '-f', file]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const leafRow = r.stdout
      .split('\n')
      .map(cells)
      .find((c) => c[2] === 'leaf');
    expect([leafRow?.[0], leafRow?.[7], leafRow?.[8]]).toEqual([file, 'spiffe://bad host/ns/x', 'OK']);
  });
});

describe('mesh certs over a namespace', () => {
  it('reads every running pod with a proxy through port-forwards', async () => {
    // Every pod's port-forward lands on one stand-in proxy.
    const single = await startEnvoyAdmin({
      dump: secretsDump({
        chain: makeWorkloadCert(rootA, spiffe('shop', 'web'), { fromDays: -1, toDays: 40 }).certPem,
        roots: rootA.certPem,
      }),
    });
    const kube = await startFakeKube({
      objects: [
        fakePod('web-1', 'shop'),
        fakePod('web-2', 'shop'),
        fakePod('db-0', 'shop', { proxy: false }),
        fakePod('web-3', 'shop', { phase: 'Pending' }),
        fakePod('other', 'elsewhere'),
      ],
      forward: () => Number(new URL(single.url).port),
    });
    const r = await runCli(['certs', '--kubeconfig', kube.kubeconfig({ namespace: 'shop' }), '-o', 'json']);
    expect(r.code).toBe(0);
    const report = JSON.parse(r.stdout);
    expect(report.proxies.map((p: any) => p.proxy)).toEqual(['web-1.shop', 'web-2.shop']);
    expect(r.stderr).toContain('1 pod(s) with istio-proxy are not running and were skipped');
    const all = JSON.parse(
      (await runCli(['certs', '--kubeconfig', kube.kubeconfig(), '-A', '-o', 'json'])).stdout,
    );
    expect(all.proxies.map((p: any) => p.proxy)).toEqual(['other.elsewhere', 'web-1.shop', 'web-2.shop']);
    await kube.close();
    await single.close();
  });
});
