import net from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { AdminClient } from '../../../src/envoy/admin.js';
import { runCli } from '../../support/cli.js';
import {
  conformanceDump,
  startEnvoyAdmin,
  type AdminServer,
  type Fault,
} from '../../support/envoy-admin-server.js';

const SIDECAR = 'istioctl/pkg/proxyconfig/testdata/config_dump.json';
let server: AdminServer | undefined;

afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function client(fault?: Fault, timeoutMs = 5000): Promise<AdminClient> {
  server = await startEnvoyAdmin({ dump: conformanceDump(SIDECAR), fault });
  return new AdminClient({ baseUrl: `${server.url}/`, timeoutMs, label: 'httpbin.default' });
}

async function failure(p: Promise<unknown>): Promise<Error & { exitCode?: number }> {
  try {
    await p;
  } catch (err) {
    return err as Error;
  }
  throw new Error('expected a failure');
}

describe('AdminClient', () => {
  it('fetches /config_dump with the query istioctl uses and parses it once', async () => {
    const c = await client();
    const dump = await c.configDump({ mask: 'dynamic_active_clusters,static_clusters' });
    expect(dump.clusters().map((r) => r.value.name)).toContain('agent');
    expect(server!.requests).toEqual(['GET /config_dump?mask=dynamic_active_clusters%2Cstatic_clusters']);
    expect((await c.configDump()).endpoints()).toEqual([]);
    expect((await c.configDump({ includeEds: true })).endpoints().length).toBe(2);
  });

  it('reads /clusters?format=json, /certs and /server_info', async () => {
    const c = await client();
    expect(((await c.clusters()) as any).cluster_statuses.map((s: any) => s.name)).toContain(
      'prometheus_stats',
    );
    expect((await c.certs()) as any).toHaveProperty('certificates');
    expect(((await c.serverInfo()) as any).state).toBe('LIVE');
  });

  it('lists and sets log levels with POST /logging', async () => {
    const c = await client();
    expect(await c.logging()).toContain('  http: warning');
    expect(await c.logging({ http: 'debug' })).toContain('  http: debug');
    expect(server!.requests.slice(-1)).toEqual(['POST /logging?http=debug']);
  });

  it('says so when nothing listens', async () => {
    const probe = net.createServer();
    await new Promise<void>((r) => probe.listen(0, '127.0.0.1', () => r()));
    const port = (probe.address() as net.AddressInfo).port;
    await new Promise<void>((r) => probe.close(() => r()));
    const c = new AdminClient({ baseUrl: `http://127.0.0.1:${port}`, timeoutMs: 2000 });
    expect((await failure(c.configDump())).message).toBe(
      `Envoy admin http://127.0.0.1:${port}: /config_dump: connection refused`,
    );
  });

  it('an https:// URL of a plain HTTP admin port: one line saying so, not the multi-line words of OpenSSL', async () => {
    server = await startEnvoyAdmin({ dump: conformanceDump(SIDECAR) });
    const url = server.url.replace(/^http:/, 'https:');
    const r = await runCli(['pc', 'cluster', '--admin-url', url, '--timeout', '5s']);
    expect([r.code, r.stdout]).toEqual([1, '']);
    expect(r.stderr).toBe(
      `Error: Envoy admin ${url}: /config_dump: TLS handshake failed: the endpoint answers without TLS (Envoy's admin API is plain HTTP: use http://)\n`,
    );
    const certs = await runCli(['certs', '--admin-url', url, '-o', 'json', '--timeout', '5s']);
    expect(JSON.parse(certs.stdout).proxies[0].error).toBe(
      `Envoy admin ${url}: /config_dump: TLS handshake failed: the endpoint answers without TLS (Envoy's admin API is plain HTTP: use http://)`,
    );
  });

  it('reports an answer cut off mid-body', async () => {
    const c = await client({ kind: 'close-mid-body' });
    expect((await failure(c.configDump())).message).toMatch(
      /^Envoy admin httpbin\.default: \/config_dump: connection closed after \d+ bytes of the answer \(truncated\)$/,
    );
  });

  it('reports a body shorter than announced as truncated JSON (exit 65)', async () => {
    const c = await client({ kind: 'truncate' });
    const e = await failure(c.configDump());
    expect(e.message).toMatch(
      /httpbin\.default \/config_dump: unexpected end of JSON input \(truncated after \d+ bytes\)/,
    );
    expect(e.exitCode).toBe(65);
  });

  it('reports an answer that is not JSON', async () => {
    const c = await client({ kind: 'garbage' });
    expect((await failure(c.clusters())).message).toBe(
      `Envoy admin httpbin.default: /clusters: answer is not JSON: line 1 column 1: unexpected "<"`,
    );
  });

  it('reports non-200 answers with their status', async () => {
    const c = await client({ kind: 'status', status: 503 });
    expect((await failure(c.certs())).message).toBe(
      'Envoy admin httpbin.default: /certs: unexpected status code: 503 (fault injected)',
    );
  });

  it('gives up after the timeout', async () => {
    const c = await client({ kind: 'delay', delayMs: 2000 }, 200);
    expect((await failure(c.serverInfo())).message).toBe(
      'Envoy admin httpbin.default: /server_info: no answer within 0.2s',
    );
  });

  // An answer that stopped part-way (a port-forward that never passes on the close behind it) was
  // reported as "no answer within 0.2s", as if the proxy had never answered.
  it('an answer that stops part-way: the timeout says how much of it arrived', async () => {
    const c = await client({ kind: 'stall-mid-body', paths: ['/server_info'] }, 200);
    expect((await failure(c.serverInfo())).message).toMatch(
      /^Envoy admin httpbin\.default: \/server_info: answer incomplete after 0\.2s \((\d+) of (\d+) bytes received\)$/,
    );
    const [, got, of] = /\((\d+) of (\d+)/.exec((await failure(c.serverInfo())).message)!;
    expect(Number(got)).toBe(Math.floor(Number(of) / 2));
  });

  it('waits for a slow answer with a timeout of 0 (no timeout, as --timeout 0 says)', async () => {
    const c = await client({ kind: 'delay', delayMs: 300 }, 0);
    expect(await c.serverInfo()).toMatchObject({ state: 'LIVE' });
  });
});

describe('an --admin-url with a password', () => {
  it('shows it as xxxxx in errors and tables of every command, never the password', async () => {
    const s = net.createServer();
    await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
    const port = (s.address() as net.AddressInfo).port;
    await new Promise<void>((r) => s.close(() => r()));
    const url = `http://admin:hunter2@127.0.0.1:${port}`;
    const shown = `Envoy admin http://admin:xxxxx@127.0.0.1:${port}: /config_dump: connection refused`;
    for (const cmd of [
      ['pc', 'cluster'],
      ['authz', 'check'],
      ['certs', '--timeout', '2s'],
    ]) {
      const r = await runCli([...cmd, '--admin-url', url]);
      expect(r.code, cmd[0]).toBe(1);
      expect(r.stdout + r.stderr, cmd[0]).not.toContain('hunter2');
      expect(r.stdout + r.stderr, cmd[0]).toContain(shown);
    }
  });

  it('is not echoed by the usage error of a URL mesh refuses (exit 64)', async () => {
    for (const [url, error] of [
      [
        'ftp://admin:hunter2@h',
        'invalid --admin-url "ftp://admin:xxxxx@h": only http and https are supported',
      ],
      ['http://admin:hunter2@h:99999', 'invalid --admin-url "http://admin:xxxxx@h:99999"'],
      [
        'http://admin:hunter2@h/?q=1',
        'invalid --admin-url "http://admin:xxxxx@h/?q=1": no query or fragment',
      ],
    ]) {
      const r = await runCli(['pc', 'cluster', '--admin-url', url!]);
      expect([r.code, r.stderr.includes('hunter2')], url).toEqual([64, false]);
      expect(r.stderr, url).toContain(error);
    }
  });
});
