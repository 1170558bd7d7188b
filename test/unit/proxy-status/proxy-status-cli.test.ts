/**
 * `mesh proxy-status --xds-address` against stand-in xDS servers speaking the real protocol: what the
 * request carries, how answers render, and every fault a replica can show (unreachable, TLS mismatch,
 * rejected credentials, reset mid-response, a ≥ 50 MB answer, an empty answer, silence).
 * The real istiod and real xDS clients are in test/e2e/proxy-status.test.ts.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import http2 from 'node:http2';
import type { AddressInfo, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { makeCa, makeWorkloadCert } from '../../support/certs.js';
import { runCli } from '../../support/cli.js';
import {
  startResettingServer,
  startXdsServer,
  type Answer,
  type XdsStandIn,
} from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

/** A protobuf Timestamp `ms` milliseconds ago. */
const ago = (ms: number) => {
  const t = Date.now() - ms;
  return { seconds: String(Math.floor(t / 1000)), nanos: (t % 1000) * 1e6 };
};
const iso = (ts: { seconds: string; nanos: number }) =>
  new Date(Number(ts.seconds) * 1000 + Math.floor(ts.nanos / 1e6)).toISOString();

function identifier(id: string): string {
  return JSON.stringify({ Component: 'istiod', ID: id, Info: { version: '1.31.0', revision: 'default' } });
}

function clientConfig(name: string, ns: string, configs: Array<Record<string, unknown>>) {
  return {
    '@type': CC,
    node: {
      id: `${name}.${ns}`,
      metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: ns, ISTIO_VERSION: '1.31.0' },
    },
    generic_xds_configs: configs,
  };
}

function syncz(id: string, resources: unknown[]): Answer {
  return {
    kind: 'respond',
    response: {
      version_info: '2026-12-04T21:00:00Z/7',
      type_url: 'istio.io/debug/syncz',
      resources,
      control_plane: { identifier: identifier(id) },
    },
  };
}

const servers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(servers.splice(0).map((s) => s.close()));
});
afterAll(async () => {
  await Promise.all(servers.map((s) => s.close()));
});

async function serve(answer: (req: Record<string, any>) => Answer): Promise<XdsStandIn> {
  const s = await startXdsServer(answer);
  servers.push(s);
  return s;
}

describe('mesh proxy-status --xds-address', () => {
  it('--timeout 0 means no timeout (it failed at once with "no answer within 0s")', async () => {
    const s = await serve(() =>
      syncz('istiod-7d4f9-abcde', [
        clientConfig('catalog-0', 'shop', [{ type_url: CDS, config_status: 'SYNCED' }]),
      ]),
    );
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '0']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('catalog-0.shop     Kubernetes     istiod-7d4f9-abcde');
    // nor does one beyond a timer's or a date's range (was: "no answer within 2592000s" at once)
    for (const timeout of ['30d', '99999999999999999999s']) {
      const long = await runCli([
        'proxy-status',
        '--xds-address',
        s.address,
        '--plaintext',
        '--timeout',
        timeout,
      ]);
      expect(long.stderr, timeout).toBe('');
      expect(long.stdout, timeout).toBe(r.stdout);
    }
  });

  it('asks for istio.io/debug/syncz once, as a node of the istio namespace, and renders the table', async () => {
    const s = await serve(() =>
      syncz('istiod-7d4f9-abcde', [
        clientConfig('catalog-0', 'shop', [
          { type_url: CDS, config_status: 'SYNCED', last_updated: ago(65_000) },
          { type_url: LDS, config_status: 'NOT_SENT' },
        ]),
        clientConfig('cart-1', 'shop', [{ type_url: CDS, config_status: 'STALE' }]),
      ]),
    );
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      [
        'NAME               CLUSTER        ISTIOD                 VERSION     SUBSCRIBED TYPES',
        'cart-1.shop        Kubernetes     istiod-7d4f9-abcde     1.31.0      1 (CDS)',
        'catalog-0.shop     Kubernetes     istiod-7d4f9-abcde     1.31.0      2 (CDS,LDS)',
        '',
      ].join('\n'),
    );
    expect(s.requests).toHaveLength(1);
    expect(s.requests[0]!.type_url).toBe('istio.io/debug/syncz');
    expect(s.requests[0]!.node.id).toMatch(
      /^sidecar~127\.0\.0\.1~mesh-\d+\.istio-system~istio-system\.svc\.cluster\.local$/,
    );
    // plaintext: no token is sent
    expect(s.metadata[0]!.get('authorization')).toEqual([]);

    const classic = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--classic']);
    expect(classic.stdout.split('\n')[0]).toBe(
      'NAME               CLUSTER        CDS              LDS          EDS         RDS         ECDS        ISTIOD                 VERSION',
    );
    expect(classic.stdout).toContain('SYNCED (65s)');
  });

  it('filters by namespace, and prints json/yaml documents with the filtered proxies', async () => {
    const s = await serve(() =>
      syncz('istiod-1', [
        clientConfig('a-0', 'one', [{ type_url: CDS, config_status: 'SYNCED' }]),
        clientConfig('b-0', 'two', [{ type_url: CDS, config_status: 'SYNCED' }]),
      ]),
    );
    const table = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '-n', 'two']);
    expect(table.stdout).toContain('b-0.two');
    expect(table.stdout).not.toContain('a-0.one');
    const json = await runCli([
      'proxy-status',
      '--xds-address',
      s.address,
      '--plaintext',
      '-n',
      'two',
      '-o',
      'json',
    ]);
    expect(json.code).toBe(0);
    const doc = JSON.parse(json.stdout);
    expect(doc.resources.map((c: any) => c.node.id)).toEqual(['b-0.two']);
    expect(doc.controlPlane.identifier).toContain('istiod-1');
    expect(doc.resources[0].genericXdsConfigs[0]).toEqual({ typeUrl: CDS, configStatus: 'SYNCED' });
    const yaml = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '-o', 'yaml']);
    expect(yaml.stdout).toContain('id: a-0.one');
  });

  it('-o json|yaml: a replica left with no proxies has no resources field, as istioctl (protobuf JSON) prints it', async () => {
    // was: "resources": [] (and "resources: []" in YAML)
    const s = await serve(() =>
      syncz('istiod-1', [clientConfig('a-0', 'one', [{ type_url: CDS, config_status: 'SYNCED' }])]),
    );
    const base = ['proxy-status', '--xds-address', s.address, '--plaintext', '-n', 'two', '-o'];
    const json = await runCli([...base, 'json']);
    expect(json).toEqual({
      code: 0,
      stdout: [
        '{',
        '    "versionInfo": "2026-12-04T21:00:00Z/7",',
        '    "typeUrl": "istio.io/debug/syncz",',
        '    "controlPlane": {',
        `        "identifier": ${JSON.stringify(identifier('istiod-1'))}`,
        '    }',
        '}',
        '',
      ].join('\n'),
      stderr: '',
    });
    const yaml = await runCli([...base, 'yaml']);
    expect(yaml.code).toBe(0);
    expect(yaml.stdout).not.toContain('resources');
    expect(yaml.stdout).toContain('typeUrl: istio.io/debug/syncz');
  });

  it('an empty mesh prints the header only and exits 0', async () => {
    const s = await serve(() => syncz('istiod-1', []));
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext']);
    expect(r).toEqual({
      code: 0,
      stdout: 'NAME     CLUSTER     ISTIOD     VERSION     SUBSCRIBED TYPES\n',
      stderr: '',
    });
  });

  it('a timestamp outside what RFC 3339 allows is shown as invalid; the rest of the answer is kept', async () => {
    // Was: year 285,000 lost the replica's whole answer ("Invalid time value", exit 1); year 10,000
    // printed as "+010000-01-01T00:00Z".
    const s = await serve(() =>
      syncz('istiod-1', [
        clientConfig('far-0', 'shop', [
          { type_url: CDS, config_status: 'STALE', last_updated: { seconds: '9000000000000', nanos: 0 } },
        ]),
        clientConfig('next-0', 'shop', [
          { type_url: CDS, config_status: 'STALE', last_updated: { seconds: '253402300800', nanos: 0 } },
        ]),
        clientConfig('ok-0', 'shop', [{ type_url: CDS, config_status: 'SYNCED', last_updated: ago(5_000) }]),
      ]),
    );
    const base = ['proxy-status', '--xds-address', s.address, '--plaintext'];
    const classic = await runCli([...base, '--classic']);
    expect(classic.code).toBe(0);
    expect(classic.stderr).toBe('');
    expect(classic.stdout).toMatch(/^far-0\.shop +Kubernetes +STALE +IGNORED /m); // no age to show
    expect(classic.stdout).toMatch(/^next-0\.shop +Kubernetes +STALE +IGNORED /m);
    expect(classic.stdout).toMatch(/^ok-0\.shop +Kubernetes +SYNCED \(5s\) /m);
    const json = await runCli([...base, '-o', 'json']);
    expect(json.code).toBe(0);
    const configs = JSON.parse(json.stdout).resources.map((r: any) => r.genericXdsConfigs[0]);
    expect(configs.map((c: any) => c.lastUpdated).slice(0, 2)).toEqual([
      'invalid timestamp (seconds 9000000000000, nanos 0)',
      'invalid timestamp (seconds 253402300800, nanos 0)',
    ]);
    // with no time to go by, a STALE type counts as stale
    const stale = await runCli([...base, '--stale-after', '1h']);
    expect(stale.code).toBe(79);
    expect(stale.stderr).toBe(
      'stale: far-0.shop: CDS not acknowledged\nstale: next-0.shop: CDS not acknowledged\n',
    );
  });

  it('--stale-after: exit 79 naming the proxy and type not acknowledged for longer, NACK details on stderr', async () => {
    const old = ago(10 * 60_000);
    const recent = ago(5_000);
    const s = await serve(() =>
      syncz('istiod-1', [
        clientConfig('slow-0', 'shop', [{ type_url: CDS, config_status: 'STALE', last_updated: old }]),
        clientConfig('fresh-0', 'shop', [{ type_url: CDS, config_status: 'STALE', last_updated: recent }]),
        clientConfig('bad-0', 'shop', [
          {
            type_url: LDS,
            config_status: 'ERROR',
            last_updated: recent,
            error_state: { details: 'duplicate listener 0.0.0.0_8080', last_update_attempt: recent },
          },
        ]),
      ]),
    );
    const ok = await runCli([
      'proxy-status',
      '--xds-address',
      s.address,
      '--plaintext',
      '--stale-after',
      '1h',
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stderr).toBe('NACK: bad-0.shop: LDS rejected: duplicate listener 0.0.0.0_8080\n');
    const r = await runCli([
      'proxy-status',
      '--xds-address',
      s.address,
      '--plaintext',
      '--stale-after',
      '5m',
    ]);
    expect(r.code).toBe(79);
    expect(r.stderr).toContain(`stale: slow-0.shop: CDS not acknowledged since ${iso(old)}`);
    expect(r.stderr).not.toContain('fresh-0');
  });

  it('usage errors exit 64 before any connection', async () => {
    for (const args of [
      ['-o', 'invalid-format'],
      ['--xds-address', 'no-port'],
      ['--stale-after', 'soon'],
      ['-v', '2'],
      ['--plaintext', '--cert-dir', '/tmp'],
    ]) {
      const r = await runCli(['proxy-status', '--xds-address', '127.0.0.1:1', '--plaintext', ...args]);
      expect(r.code, args.join(' ')).toBe(64);
    }
  });
});

describe('proxy-status faults', () => {
  it('unreachable: one line naming the address, exit 1', async () => {
    const r = await runCli([
      'proxy-status',
      '--xds-address',
      '127.0.0.1:1',
      '--plaintext',
      '--timeout',
      '5s',
    ]);
    expect(r.code).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toMatch(/^Error: 127\.0\.0\.1:1: unreachable: /);
  });

  /** A --cert-dir with a workload certificate (TLS without a token). */
  function certDir(): string {
    const ca = makeCa('cluster.local');
    const leaf = makeWorkloadCert(ca, 'spiffe://cluster.local/ns/istio-system/sa/default', {
      fromDays: -1,
      toDays: 1,
    });
    const dir = mkdtempSync(join(tmpdir(), 'mesh-certdir-'));
    writeFileSync(join(dir, 'root-cert.pem'), ca.certPem);
    writeFileSync(join(dir, 'cert-chain.pem'), leaf.certPem);
    writeFileSync(join(dir, 'key.pem'), leaf.keyPem);
    servers.push({ close: async () => rmSync(dir, { recursive: true, force: true }) });
    return dir;
  }

  it('a --cert-dir whose files are missing or not PEM: exit 64 naming the file, before any connection', async () => {
    const missing = mkdtempSync(join(tmpdir(), 'mesh-certdir-'));
    servers.push({ close: async () => rmSync(missing, { recursive: true, force: true }) });
    const garbage = certDir();
    writeFileSync(join(garbage, 'key.pem'), 'not a key\n');
    const noRoot = certDir();
    writeFileSync(join(noRoot, 'root-cert.pem'), 'garbage\n');
    const run = (dir: string) =>
      runCli(['proxy-status', '--xds-address', '127.0.0.1:1', '--cert-dir', dir, '--timeout', '5s']);
    expect(await run(missing)).toEqual({
      code: 64,
      stdout: '',
      stderr: `Error: --cert-dir: cannot read ${join(missing, 'root-cert.pem')}: no such file or directory\n`,
    });
    expect(await run(join(noRoot, 'key.pem'))).toMatchObject({
      code: 64,
      stderr: `Error: --cert-dir: cannot read ${join(noRoot, 'key.pem', 'root-cert.pem')}: not a directory\n`,
    });
    expect(await run(noRoot)).toEqual({
      code: 64,
      stdout: '',
      stderr: `Error: --cert-dir: ${join(noRoot, 'root-cert.pem')} holds no PEM certificate\n`,
    });
    expect(await run(garbage)).toEqual({
      code: 64,
      stdout: '',
      stderr: `Error: --cert-dir: ${join(garbage, 'key.pem')} holds no PEM private key\n`,
    });
  });

  it('TLS against a plaintext gRPC server (--cert-dir): exit 1, says it answers plaintext HTTP/2 and to add --plaintext', async () => {
    const s = await serve(() => syncz('istiod-1', []));
    const r = await runCli([
      'proxy-status',
      '--xds-address',
      s.address,
      '--cert-dir',
      certDir(),
      '--timeout',
      '5s',
    ]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${s.address}: unreachable: it answers plaintext HTTP/2, not TLS (gRPC without TLS, as on istiod's xDS port 15010)\n` +
        "Hint: for a plaintext xDS port (istiod: 15010) add --plaintext; istiod's TLS xDS port is 15012\n",
    });
    expect(s.requests).toHaveLength(0);
  });

  it("TLS against an HTTP/1 port (istiod's 15014, a web server): said to answer plaintext HTTP/1, with the xDS ports", async () => {
    // was: "unreachable: No connection established. Last error: … ssl3_get_record:wrong version number",
    // and the hint to add --plaintext
    const web = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => web.close(() => resolve())) });
    const address = `127.0.0.1:${(web.address() as AddressInfo).port}`;
    const r = await runCli([
      'proxy-status',
      '--xds-address',
      address,
      '--cert-dir',
      certDir(),
      '--timeout',
      '5s',
    ]);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${address}: unreachable: it answers plaintext HTTP/1, not TLS (a web or monitoring port, such as istiod's 15014?)\n` +
        'Hint: istiod serves xDS on 15012 (TLS) and 15010 (plaintext, with --plaintext)\n',
    });
  });

  it('an unreadable --cert-dir is a usage error', async () => {
    const r = await runCli(['proxy-status', '--xds-address', '127.0.0.1:1', '--cert-dir', '/nonexistent']);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain('cannot read /nonexistent/root-cert.pem');
  });

  it('credentials rejected: the server status is shown with a hint', async () => {
    const s = await serve(() => ({ kind: 'fail', code: 16, details: 'authentication failure' }));
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: ${s.address}: authentication rejected: authentication failure`);
    expect(r.stderr).toContain('Hint: istiod accepts a Kubernetes token');
  });

  it('a connection lost mid-answer (ECONNRESET: a replica that died) is said to be, without the port hint', async () => {
    // was: "unreachable: read ECONNRESET" and "Hint: is it a plaintext xDS port (istiod: 15010)? …": the
    // port was right, the connection had been made
    const dying = http2.createServer();
    dying.on('stream', (stream) => {
      stream.on('error', () => undefined);
      stream.respond({ ':status': 200, 'content-type': 'application/grpc' });
      const header = Buffer.alloc(5);
      header.writeUInt32BE(1_000_000, 1);
      stream.write(Buffer.concat([header, Buffer.alloc(100)]), () =>
        setTimeout(() => (stream.session!.socket as Socket).resetAndDestroy(), 10),
      );
    });
    await new Promise<void>((resolve) => dying.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => dying.close(() => resolve())) });
    const address = `127.0.0.1:${(dying.address() as AddressInfo).port}`;
    const r = await runCli(['proxy-status', '--xds-address', address, '--plaintext', '--timeout', '5s']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${address}: connection lost: read ECONNRESET\n` +
        'Hint: the server ended the connection after it was made (a replica restarting or overloaded?): try again\n',
    });
  });

  it('a stream reset mid-response: exit 1 naming the server', async () => {
    const s = await startResettingServer();
    servers.push(s);
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '10s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(new RegExp(`^Error: ${s.address}: `));
    expect(r.stdout).toBe('');
  });

  it('a CSDS answer cut off by its server: said to be lost mid-answer, the endpoint named once (not "answered HTTP, not gRPC")', async () => {
    const s = await startResettingServer();
    servers.push(s);
    const r = await runCli(['drift', '--csds', `web-0.shop=${s.address}`, '--timeout', '10s']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `error: web-0.shop: CSDS ${s.address}: connection lost mid-answer: ` +
        'Received RST_STREAM with code 0 (Call ended without gRPC status)\n',
    });
    const ads = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '10s']);
    expect(ads).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${s.address}: connection lost mid-answer: Received RST_STREAM with code 2 (Internal server error)\n` +
        'Hint: the server ended its answer before the end (a replica restarting or overloaded?): try again\n',
    });
  });

  it('a response over 50 MB is read whole', async () => {
    const many = Array.from({ length: 60_000 }, (_, i) =>
      clientConfig(`pod-${String(i).padStart(5, '0')}-${'x'.repeat(700)}`, 'big', [
        { type_url: CDS, config_status: 'SYNCED' },
      ]),
    );
    const s = await serve(() => syncz('istiod-1', many));
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '-n', 'big']);
    expect(r.code).toBe(0);
    expect(r.stdout.split('\n')).toHaveLength(60_002);
  }, 60_000);

  it('an answer without type_url (optional in practice for some servers) answers the one request on the stream', async () => {
    const s = await serve(() => {
      const a = syncz('istiod-1', [
        clientConfig('catalog-0', 'shop', [{ type_url: CDS, config_status: 'SYNCED' }]),
      ]);
      if (a.kind === 'respond') delete a.response.type_url;
      return a;
    });
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '5s']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^catalog-0\.shop\s+Kubernetes\s+istiod-1\s+1\.31\.0\s+1 \(CDS\)$/m);
  });

  it('an answer of another type is not taken for the one asked for', async () => {
    const s = await serve(() => {
      const a = syncz('istiod-1', []);
      if (a.kind === 'respond') a.response.type_url = CDS;
      return a;
    });
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: ${s.address}: no answer within 1s`);
  });

  it('a server that never answers: timeout names the server', async () => {
    const s = await serve(() => ({ kind: 'silent' }));
    const r = await runCli(['proxy-status', '--xds-address', s.address, '--plaintext', '--timeout', '1s']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Error: ${s.address}: no answer within 1s`);
  });

  it('an HTTP/2 server that is not gRPC (a web server, a proxy) is named as such, with the xDS ports', async () => {
    const web = http2.createServer((_req, res) => {
      res.statusCode = 404;
      res.end();
    });
    await new Promise<void>((resolve) => web.listen(0, '127.0.0.1', resolve));
    servers.push({ close: () => new Promise<void>((resolve) => web.close(() => resolve())) });
    const address = `127.0.0.1:${(web.address() as AddressInfo).port}`;
    const r = await runCli(['proxy-status', '--xds-address', address, '--plaintext', '--timeout', '5s']);
    expect(r).toEqual({
      code: 1,
      stdout: '',
      stderr:
        `Error: ${address}: answered HTTP, not gRPC: Received HTTP status code 404\n` +
        'Hint: is it an xDS port? istiod serves xDS on 15010 (plaintext) and 15012 (TLS)\n',
    });
  });
});
