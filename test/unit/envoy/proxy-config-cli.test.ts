/** `mesh proxy-config` as users run it (in-process CLI): aliases, flags, outputs, sources, errors, exit codes. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import {
  conformanceDump,
  CONFORMANCE,
  startEnvoyAdmin,
  type AdminServer,
} from '../../support/envoy-admin-server.js';
import { fakePod, startFakeKube } from '../../support/port-forward-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const AUTHZ = join(CONFORMANCE, 'istioctl/pkg/authz/testdata/configdump.yaml');
const SECRETS = join(CONFORMANCE, 'istioctl/pkg/writer/envoy/configdump/testdata/secret');
const COMPARE = join(CONFORMANCE, 'istioctl/pkg/writer/compare/testdata');
const tmp = mkdtempSync(join(tmpdir(), 'mesh-pc-'));

function writeTmp(name: string, value: unknown): string {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
}

describe('aliases and flags', () => {
  it('`mesh pc clusters` is `mesh proxy-config cluster`', async () => {
    const long = await runCli(['proxy-config', 'cluster', '--file', SIDECAR]);
    const short = await runCli(['pc', 'clusters', '-f', SIDECAR]);
    expect(long.code).toBe(0);
    expect(short).toEqual(long);
    expect(long.stdout.split('\n')[0]).toMatch(/^SERVICE FQDN {5,}PORT/);
  });

  it('accepts Go-style --verbose=false as --no-verbose, and rejects non-booleans', async () => {
    const a = await runCli(['pc', 'l', '-f', AUTHZ, '--verbose=false']);
    const b = await runCli(['pc', 'listeners', '-f', AUTHZ, '--no-verbose']);
    expect(a.stdout).toBe(b.stdout);
    expect(a.stdout.split('\n')[0]).toBe('ADDRESSES      PORT  TYPE');
    const bad = await runCli(['pc', 'listener', '-f', AUTHZ, '--verbose=maybe']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toContain('invalid argument "maybe" for "--verbose" flag');
  });

  it('refuses every integer flag past 2^53, in proxy-config and the commands that ask istiod alike (exit 64)', async () => {
    // Before: ps, drift and authz took 99999999999999999999 as 1e20 (drift ran with it as its concurrency)
    const big = '99999999999999999999';
    for (const [args, flag] of [
      [['pc', 'cluster', '-f', SIDECAR, '--proxy-admin-port', big], '--proxy-admin-port'],
      [['ps', '--xds-port', big], '--xds-port'],
      [['drift', '-f', `web-0.shop=${SIDECAR}`, '--concurrency', big], '--concurrency'],
    ] as const) {
      const r = await runCli([...args]);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], flag).toEqual([
        64,
        '',
        `Error: invalid ${flag} "${big}": value out of range`,
      ]);
    }
  });

  it('refuses a --port past 2^53, which would filter on another number (exit 64)', async () => {
    for (const cmd of ['cluster', 'listener', 'endpoint']) {
      const r = await runCli(['pc', cmd, '-f', SIDECAR, '--port', '99999999999999999999']);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], cmd).toEqual([
        64,
        '',
        'Error: invalid --port "99999999999999999999": value out of range',
      ]);
    }
  });

  it('prints the group help for `mesh pc`', async () => {
    const r = await runCli(['pc']);
    expect(r.stdout + r.stderr).toContain('A group of commands used to retrieve information about');
    expect(r.stdout + r.stderr).toContain('rootca-compare');
  });
});

describe('structured output', () => {
  it('-o json prints protobuf-JSON messages (camelCase, no resource @type, Go escaping) in table order', async () => {
    const r = await runCli(['pc', 'cluster', '-f', SIDECAR, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\[\n {4}\{\n {8}"name": "agent",/);
    const clusters = JSON.parse(r.stdout);
    expect(clusters.map((c: any) => c.name)).toEqual([
      'agent',
      'inbound-vip|8000|http|httpbin.default.svc.cluster.local',
      'prometheus_stats',
    ]);
    expect(clusters[0]['@type']).toBeUndefined();
    expect(r.stdout).not.toMatch(/"[a-z]+_[a-z_]+":/); // no snake_case field names left
  });

  it('-o yaml prints the same value as YAML', async () => {
    const r = await runCli(['pc', 'route', '-f', SIDECAR, '-o', 'yaml']);
    expect(r.stdout.startsWith('- name: inbound-vip|8000|http|httpbin.default.svc.cluster.local\n')).toBe(
      true,
    );
    expect(r.stdout).toContain("  virtualHosts:\n  - domains:\n    - '*'\n");
  });

  it('never prints private keys, even when the dump carries them unredacted', async () => {
    const dump = conformanceDump(
      'istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json',
    );
    const key = Buffer.from(
      '-----BEGIN EC PRIVATE KEY-----\nMHcCAQEEI\n-----END EC PRIVATE KEY-----\n',
    ).toString('base64');
    dump.configs[0].dynamic_active_secrets[0].secret.tls_certificate.private_key = { inline_bytes: key };
    const file = writeTmp('leaky.json', dump);
    for (const args of [
      ['secret', '-o', 'json'],
      ['secret', '-o', 'yaml'],
      ['all', '-o', 'json'],
      ['all', '-o', 'yaml'],
    ]) {
      const r = await runCli(['pc', ...args, '-f', file]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout).not.toContain(key);
      expect(r.stdout).toContain('W3JlZGFjdGVkXQ==');
    }
  });

  it('never prints credentials of gRPC services (call credentials, credential headers), Redis or basic auth a dump may carry', async () => {
    const dump = JSON.parse(readFileSync(SIDECAR, 'utf8'));
    const bootstrap = dump.configs.find((c: any) => c['@type'].endsWith('BootstrapConfigDump')).bootstrap;
    bootstrap.dynamic_resources = {
      ads_config: {
        api_type: 'GRPC',
        grpc_services: [
          {
            initial_metadata: [
              { key: 'authorization', value: 'Bearer SECRET-header' },
              { key: 'x-api-key', raw_value: Buffer.from('SECRET-raw').toString('base64') },
              { key: 'x-tenant', value: 'shop' },
            ],
            google_grpc: {
              target_uri: 'xds.example:443',
              stat_prefix: 'ads',
              call_credentials: [
                { access_token: 'SECRET-access' },
                { google_iam: { authorization_token: 'SECRET-iam', authority_selector: 'a' } },
                { service_account_jwt_access: { json_key: 'SECRET-json', token_lifetime_seconds: 60 } },
                { google_refresh_token: 'SECRET-refresh' },
              ],
            },
          },
        ],
      },
    };
    bootstrap.static_resources = { listeners: [] };
    bootstrap.static_resources.listeners.push({
      name: 'redis',
      filter_chains: [
        {
          filters: [
            {
              name: 'envoy.filters.network.redis_proxy',
              typed_config: {
                downstream_auth_password: { inline_string: 'SECRET-redis' },
                settings: { op_timeout: '1s' },
              },
            },
          ],
        },
      ],
    });
    const file = writeTmp('credentials.json', dump);
    for (const args of [
      ['bootstrap', '-o', 'json'],
      ['bootstrap', '-o', 'yaml'],
      ['all', '-o', 'json'],
      ['all', '-o', 'yaml'],
    ]) {
      const r = await runCli(['pc', ...args, '-f', file]);
      expect(r.code, args.join(' ')).toBe(0);
      expect(r.stdout, args.join(' ')).not.toContain('SECRET-');
      expect(r.stdout, args.join(' ')).not.toContain(Buffer.from('SECRET-raw').toString('base64'));
      // six strings (and one header's bytes, checked above); a header that is no credential is shown
      expect(r.stdout.match(/\[redacted\]/g)?.length, args.join(' ')).toBe(6);
      expect(r.stdout, args.join(' ')).toContain('shop');
    }
  });

  it('keys named like Object.prototype members are printed as keys, not a TypeError', async () => {
    const dump = JSON.parse(readFileSync(SIDECAR, 'utf8'));
    const clusters = dump.configs.find((c: any) => c['@type'].endsWith('ClustersConfigDump'));
    Object.assign(clusters.static_clusters[0].cluster, { constructor: { a: 1 }, toString: 'x' });
    const r = await runCli(['pc', 'cluster', '-f', writeTmp('proto-keys.json', dump), '-o', 'yaml']);
    expect(r.code).toBe(0);
    expect(r.stderr).toBe('');
    expect(r.stdout).toContain('  constructor:\n    a: 1\n');
  });

  it("`all -o json` passes Envoy's bytes through when nothing needs redacting", async () => {
    const r = await runCli(['pc', 'all', '-f', SIDECAR, '-o', 'json']);
    // followed by a line break, as istioctl prints it (Println): byte for byte istioctl's output
    expect(r.stdout).toBe(`${readFileSync(SIDECAR, 'utf8')}\n`);
  });

  it('-o yaml ends with a blank line, byte for byte as istioctl prints it (istioctl 1.30 on the conformance dump)', async () => {
    for (const sub of ['cluster', 'listener', 'route', 'bootstrap', 'all']) {
      const r = await runCli(['pc', sub, '-f', SIDECAR, '-o', 'yaml']);
      expect(r.code, sub).toBe(0);
      expect(r.stdout.endsWith('\n\n') && !r.stdout.endsWith('\n\n\n'), sub).toBe(true);
    }
  });

  it("`all -o json` prints JSON in Envoy's layout for a dump saved as YAML or with a byte order mark", async () => {
    const text = readFileSync(SIDECAR, 'utf8');
    const expected = JSON.stringify(JSON.parse(text), null, 1) + '\n';
    const yaml = createRequire(import.meta.url)('js-yaml') as typeof import('js-yaml');
    const inputs = {
      yaml: writeTmp('dump.yaml', yaml.dump(JSON.parse(text))),
      bom: writeTmp('bom.json', '\uFEFF' + text),
    };
    for (const [name, file] of Object.entries(inputs)) {
      const r = await runCli(['pc', 'all', '-f', file, '-o', 'json']);
      expect([r.code, r.stderr], name).toEqual([0, '']);
      expect(r.stdout, name).toBe(expected);
    }
  });
});

describe('endpoint (admin /clusters?format=json saved to a file)', () => {
  const clusters = {
    cluster_statuses: [
      {
        name: 'outbound|80||b.default.svc.cluster.local',
        host_statuses: [
          {
            address: { socket_address: { address: '10.0.0.2', port_value: 80 } },
            health_status: { eds_health_status: 'HEALTHY' },
          },
          {
            address: { socket_address: { address: '10.0.0.1', port_value: 80 } },
            health_status: { eds_health_status: 'UNHEALTHY', failed_outlier_check: true },
          },
        ],
      },
      {
        name: 'sds-grpc',
        host_statuses: [{ address: { pipe: { path: './var/run/secrets/workload-spiffe-uds/socket' } } }],
      },
      {
        name: 'inbound-vip|8000|http|a',
        host_statuses: [
          {
            address: {
              envoy_internal_address: {
                server_listener_name: 'connect_originate',
                endpoint_id: '1.2.3.4:80',
              },
            },
            health_status: { eds_health_status: 'HEALTHY' },
          },
        ],
      },
    ],
  };

  it('renders addresses, health and outlier status in istioctl order (address as shown, port, cluster)', async () => {
    const r = await runCli(['pc', 'endpoints', '-f', writeTmp('clusters.json', clusters)]);
    expect(r.stdout).toBe(
      [
        'ENDPOINT                                                STATUS        OUTLIER CHECK     CLUSTER',
        '10.0.0.1:80                                             UNHEALTHY     FAILED            outbound|80||b.default.svc.cluster.local',
        '10.0.0.2:80                                             HEALTHY       OK                outbound|80||b.default.svc.cluster.local',
        'envoy://connect_originate/1.2.3.4:80                    HEALTHY       OK                inbound-vip|8000|http|a',
        'unix://./var/run/secrets/workload-spiffe-uds/socket     UNKNOWN       OK                sds-grpc',
        '',
      ].join('\n'),
    );
  });

  it('-o json keeps whole ClusterStatus objects that have a matching host', async () => {
    const file = writeTmp('clusters.json', clusters);
    const r = await runCli(['pc', 'ep', '-f', file, '--status', 'unhealthy', '-o', 'json']);
    const out = JSON.parse(r.stdout);
    expect(out.map((c: any) => c.name)).toEqual(['outbound|80||b.default.svc.cluster.local']);
    expect(out[0].hostStatuses).toHaveLength(2);
    expect(out[0].hostStatuses[1].healthStatus).toEqual({
      edsHealthStatus: 'UNHEALTHY',
      failedOutlierCheck: true,
    });
  });
});

describe('sources and errors', () => {
  it('needs exactly one of pod, --file, --admin-url (usage error 64)', async () => {
    const none = await runCli(['pc', 'cluster']);
    expect(none.code).toBe(64);
    expect(none.stderr).toContain('Error: cluster: give a pod name or --file (exactly one)');
    const both = await runCli(['pc', 'endpoint', 'pod-1', '-f', SIDECAR]);
    expect(both.code).toBe(64);
    expect(both.stderr).toContain('endpoints: give a pod name or --file (exactly one)');
  });

  it('validates --proxy-admin-port and -o', async () => {
    const port = await runCli(['pc', 'cluster', 'pod-1', '--proxy-admin-port', '70000']);
    expect(port.code).toBe(64);
    expect(port.stderr).toContain('port number 70000 must be in the range 1..65535');
    const fmt = await runCli(['pc', 'cluster', '-f', SIDECAR, '-o', 'table']);
    expect(fmt.code).toBe(64);
    expect(fmt.stderr).toContain('unknown output format "table"');
  });

  it('names a missing file, and reports an unparsable one with exit 65', async () => {
    const missing = await runCli(['pc', 'cluster', '-f', join(tmp, 'nope.json')]);
    expect(missing.code).toBe(66); // README's exit codes: an input path that does not exist
    expect(missing.stderr).toContain(`nope.json: no such file or directory`);
    const folder = await runCli(['pc', 'all', '-f', tmp]);
    expect([folder.code, folder.stderr]).toEqual([
      66,
      `Error: cannot read ${tmp}: read ${tmp}: is a directory\n`,
    ]);
    // in diff and rootca-compare, a path is a file even when it is missing, not a pod name
    for (const cmd of ['diff', 'rootca-compare']) {
      const side = await runCli(['pc', cmd, SIDECAR, join(tmp, 'nope.json')]);
      expect([side.code, side.stderr], cmd).toEqual([
        66,
        `Error: cannot read ${join(tmp, 'nope.json')}: open ${join(tmp, 'nope.json')}: no such file or directory\n`,
      ]);
    }
    writeFileSync(join(tmp, 'dump.pb'), Buffer.from([8, 0, 18, 0])); // a protobuf dump, not JSON
    const binary = await runCli(['pc', 'cluster', '-f', join(tmp, 'dump.pb')]);
    expect([binary.code, binary.stderr]).toEqual([
      65,
      `Error: ${join(tmp, 'dump.pb')}: binary file (contains NUL bytes), not text\n`,
    ]);
    // UTF-16 with a byte order mark (PowerShell's `> dump.json`) reads as the same dump; without one, refused
    const utf8 = await runCli(['pc', 'cluster', '-f', SIDECAR]);
    const text = readFileSync(SIDECAR, 'utf8');
    writeFileSync(
      join(tmp, 'le.json'),
      Buffer.concat([Buffer.from([0xff, 0xfe]), Buffer.from(text, 'utf16le')]),
    );
    writeFileSync(
      join(tmp, 'be.json'),
      Buffer.concat([Buffer.from([0xfe, 0xff]), Buffer.from(text, 'utf16le').swap16()]),
    );
    for (const f of ['le.json', 'be.json'])
      expect(await runCli(['pc', 'cluster', '-f', join(tmp, f)]), f).toEqual(utf8);
    writeFileSync(join(tmp, 'nobom.json'), Buffer.from(text, 'utf16le'));
    const nobom = await runCli(['pc', 'cluster', '-f', join(tmp, 'nobom.json')]);
    expect([nobom.code, nobom.stderr]).toEqual([
      65,
      `Error: ${join(tmp, 'nobom.json')}: UTF-16 text without a byte order mark, not text: save it as UTF-8\n`,
    ]);
    const bad = await runCli(['pc', 'cluster', '-f', writeTmp('bad.json', '{"configs": [}')]);
    expect(bad.code).toBe(65);
    expect(bad.stderr).toBe(
      `Error: error unmarshalling config dump response from Envoy: ${join(tmp, 'bad.json')}: line 1 column 14: unexpected "}"\n`,
    );
  });

  it('reports the missing section (exit 65, the file named) and "no clusters found"', async () => {
    const r = await runCli(['pc', 'secret', '-f', AUTHZ]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(
      `Error: ${AUTHZ}: config dump has no configuration type type.googleapis.com/envoy.admin.v3.SecretsConfigDump\n`,
    );
    const empty = writeTmp('empty-clusters.json', {
      configs: [{ '@type': 'type.googleapis.com/envoy.admin.v3.ClustersConfigDump' }],
    });
    expect((await runCli(['pc', 'cluster', '-f', empty])).stderr).toBe('Error: no clusters found\n');
  });

  it('prints the sections of `all` before and after a missing one (exit 65)', async () => {
    const dump = JSON.parse(readFileSync(SIDECAR, 'utf8'));
    dump.configs = dump.configs.filter((c: any) => !c['@type'].endsWith('ListenersConfigDump'));
    const file = writeTmp('no-listeners.json', dump);
    const r = await runCli(['pc', 'all', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stdout).toContain('Istio Version:       1.21.0-1226\n');
    expect(r.stdout).toContain('cluster/prometheus_stats');
    expect(r.stdout).not.toContain('listener/');
    expect(r.stdout).toContain('route/');
    expect(r.stderr).toBe(
      `Error: ${file}: config dump has no configuration type type.googleapis.com/envoy.admin.v3.ListenersConfigDump\n`,
    );
  });
});

describe('pc all with a section that holds nothing to show', () => {
  it('prints the empty section as its header and goes on with the next ones (exit 0)', async () => {
    const dump = JSON.parse(readFileSync(SIDECAR, 'utf8'));
    const listeners = dump.configs.find((c: any) => c['@type'].endsWith('ListenersConfigDump'));
    // every listener still warming: none is active, none is static
    listeners.dynamic_listeners = listeners.dynamic_listeners.map((l: any) => ({
      name: l.name,
      warming_state: l.active_state,
    }));
    listeners.static_listeners = [];
    const r = await runCli(['pc', 'all', '-f', writeTmp('warming.json', dump), '--with-headers']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout).toContain(
      '------ LISTENER INFO ------\n\nNAME ADDRESSES PORT MATCH DESTINATION\n\n------ ROUTE INFO ------\n',
    );
    expect(r.stdout.split('\n').filter((l) => l.startsWith('------'))).toEqual(
      ['BOOTSTRAP', 'CLUSTER', 'LISTENER', 'ROUTE', 'SECRET', 'ENDPOINTS'].map(
        (t) => `------ ${t} INFO ------`,
      ),
    );
  });
});

describe('against an Envoy admin endpoint (--admin-url)', () => {
  let admin: AdminServer;
  beforeAll(async () => {
    admin = await startEnvoyAdmin(
      {},
      {
        sidecar: { dump: conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json') },
        // /clusters?format=json answers that are not Envoy's admin.v3.Clusters
        list: { clusters: [1, 2, 3] },
        text: { clusters: 'hello' },
        notalist: { clusters: { cluster_statuses: 'x' } },
        deep: { clusters: { cluster_statuses: [{ name: 'a', host_statuses: 'x' }] } },
        // Envoy without clusters: it leaves the empty list out
        none: { clusters: {} },
      },
    );
  });
  afterAll(async () => {
    await admin.close();
  });

  it('prints the same tables as from the dump file, asking for the sections istioctl asks for', async () => {
    const url = admin.urlOf('sidecar');
    for (const sub of ['cluster', 'listener', 'route', 'secret', 'bootstrap', 'all']) {
      const args = sub === 'bootstrap' ? [sub, '-o', 'short'] : [sub];
      const live = await runCli(['pc', ...args, '--admin-url', url]);
      const file = await runCli(['pc', ...args, '-f', SIDECAR]);
      expect(live.stderr, sub).toBe('');
      expect(live.stdout, sub).toBe(file.stdout);
    }
    expect(admin.requests).toContain(
      'GET /sidecar/config_dump?mask=dynamic_active_clusters%2Cdynamic_warming_clusters%2Cstatic_clusters',
    );
    expect(admin.requests).toContain('GET /sidecar/config_dump?include_eds=true');
  });

  it('a --timeout longer than a timer holds (≈ 24.8 days) means no limit, not an instant timeout', async () => {
    // Was: `--timeout 30d` failed at once ("no answer within 2592000s"): Node fires such a timer after 1 ms.
    const url = admin.urlOf('sidecar');
    for (const timeout of ['30d', '99999999999999999999s']) {
      const live = await runCli(['pc', 'cluster', '--admin-url', url, '--timeout', timeout]);
      expect(live.stderr, timeout).toBe('');
      expect(live.stdout, timeout).toBe((await runCli(['pc', 'cluster', '-f', SIDECAR])).stdout);
    }
  });

  it('shows endpoints from /clusters?format=json', async () => {
    const r = await runCli([
      'pc',
      'ep',
      '--admin-url',
      admin.urlOf('sidecar'),
      '--cluster',
      'PROMETHEUS_STATS',
    ]);
    expect(r.stdout).toBe(
      'ENDPOINT            STATUS      OUTLIER CHECK     CLUSTER\n127.0.0.1:15000     HEALTHY     OK                prometheus_stats\n',
    );
  });

  it("refuses an answer of /clusters that is not Envoy's, as --file does (exit 65, the endpoint named)", async () => {
    for (const id of ['list', 'text', 'notalist']) {
      const r = await runCli(['pc', 'endpoint', '--admin-url', admin.urlOf(id)]);
      expect([r.code, r.stdout, r.stderr], id).toEqual([
        65,
        '',
        `Error: Envoy admin ${admin.urlOf(id)}: /clusters: neither Envoy's /clusters?format=json output ("cluster_statuses") nor a config dump with endpoints ("configs")\n`,
      ]);
    }
    const deep = await runCli(['pc', 'endpoint', '--admin-url', admin.urlOf('deep')]);
    expect([deep.code, deep.stderr]).toEqual([
      65,
      `Error: Envoy admin ${admin.urlOf('deep')}: /clusters: cluster_statuses[0].host_statuses must be a list, got "x"\n`,
    ]);
    const none = await runCli(['pc', 'endpoint', '--admin-url', admin.urlOf('none')]);
    expect([none.code, none.stdout, none.stderr]).toEqual([
      0,
      'ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n',
      '',
    ]);
  });

  it('sets log levels and prints the resulting listing', async () => {
    const url = admin.urlOf('sidecar');
    const r = await runCli(['pc', 'log', '--admin-url', url, '--level', 'info,envoy::http:debug']);
    expect(r.code).toBe(0);
    expect(r.stdout.startsWith(`${url}:\nactive loggers:\n`)).toBe(true);
    expect(r.stdout).toContain('  http: debug\n');
    expect(r.stdout).toContain('  admin: info\n');
    expect(admin.requests.slice(-3)).toEqual([
      'POST /sidecar/logging',
      'POST /sidecar/logging?level=info',
      'POST /sidecar/logging?http=debug',
    ]);
    const reset = await runCli(['pc', 'log', '--admin-url', url, '-r']);
    expect(reset.stderr).toContain('resetting to the default level "warning"');
    expect(reset.stdout).toContain('  http: warning\n');
    expect((await runCli(['pc', 'log', '--admin-url', url, '-r', '--level', 'debug'])).stderr).toContain(
      '--level and --reset cannot be used together',
    );
  });

  it('refuses level names that are Object.prototype members instead of sending them to Envoy', async () => {
    const url = admin.urlOf('sidecar');
    for (const level of ['constructor', 'http:toString', '__proto__']) {
      const before = admin.requests.length;
      const r = await runCli(['pc', 'log', '--admin-url', url, '--level', level]);
      expect([r.code, r.stderr.split('\n')[0]], level).toEqual([
        64,
        `Error: unrecognized logging level: ${level.split(':').pop()}`,
      ]);
      expect(admin.requests.slice(before)).toEqual(['POST /sidecar/logging']); // the listing, nothing set
    }
  });
});

describe('pc log with a logger name that is only part of one in the listing', () => {
  let admin: AdminServer;
  beforeAll(async () => {
    admin = await startEnvoyAdmin({}, { p: { logging: 'active loggers:\n  admin: info\n  http: info\n' } });
  });
  afterAll(async () => {
    await admin.close();
  });

  it('refuses it (exit 64) before changing any level', async () => {
    const url = admin.urlOf('p');
    for (const [level, name] of [
      ['trace,ctive:info', 'ctive'], // "active loggers:"
      ['a:debug', 'a'],
      ['debug,htt:info', 'htt'],
    ]) {
      const before = admin.requests.length;
      const r = await runCli(['pc', 'log', '--admin-url', url, '--level', level!]);
      expect([r.code, r.stdout, r.stderr], level).toEqual([
        64,
        '',
        `Error: unrecognized logger name: ${name}\n`,
      ]);
      expect(admin.requests.slice(before), level).toEqual(['POST /p/logging']); // the listing, nothing set
    }
    const listing = await runCli(['pc', 'log', '--admin-url', url]);
    expect(listing.stdout).toBe(`${url}:\nactive loggers:\n  admin: info\n  http: info\n`);
  });
});

describe("pc log --reset with the injector's global.proxy.logLevel", () => {
  let admin: AdminServer;
  beforeAll(async () => {
    admin = await startEnvoyAdmin({ logging: 'active loggers:\n  admin: info\n  rbac: info\n' });
  });
  afterAll(async () => {
    await admin.close();
  });

  async function reset(logLevel: unknown) {
    const kube = await startFakeKube({
      objects: [
        fakePod('web-0', 'shop'),
        {
          apiVersion: 'v1',
          kind: 'ConfigMap',
          metadata: { name: 'istio-sidecar-injector', namespace: 'istio-system' },
          data: { values: JSON.stringify({ global: { proxy: { logLevel } } }) },
        },
      ],
      forward: () => Number(new URL(admin.url).port),
    });
    try {
      const before = admin.requests.length;
      const r = await runCli(['pc', 'log', 'web-0.shop', '--reset', '--kubeconfig', kube.kubeconfig()]);
      return { ...r, sent: admin.requests.slice(before).filter((q) => q.includes('/logging')) };
    } finally {
      await kube.close();
    }
  }

  it('sets every logger to it', async () => {
    const r = await reset('debug');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.sent).toEqual(['POST /logging', 'POST /logging?level=debug']);
  });

  it('one that is not a level (or a logger list) is not read as a --level of the user: a warning, and "warning" set', async () => {
    for (const [value, shown] of [
      ['bogus', '"bogus"'],
      ['rbac:debug', '"rbac:debug"'],
      ['x\u001b[2J', '"x\\u001b[2J"'],
    ] as const) {
      const r = await reset(value);
      expect([r.code, r.stderr], value).toEqual([
        0,
        `Warning: global.proxy.logLevel ${shown} in istio-sidecar-injector is not an Envoy log level; resetting to "warning"\n`,
      ]);
      expect(r.sent, value).toEqual(['POST /logging', 'POST /logging?level=warning']);
    }
  });
});

describe('rootca-compare and diff', () => {
  const istio = join(SECRETS, 'istio/config_dump.json');
  const spire = join(SECRETS, 'spire/config_dump.json');

  it('rootca-compare: identical roots exit 0, different roots exit 79', async () => {
    const same = await runCli(['pc', 'rc', istio, istio]);
    expect(same.code).toBe(0);
    expect(same.stdout).toBe(
      `Both [${istio}] and [${istio}] trust the same root CA (ROOTCA): mTLS between them can work\n`,
    );
    const diff = await runCli(['pc', 'rootca-compare', istio, spire]);
    expect(diff.code).toBe(79);
    expect(diff.stderr).toContain('trust different root CAs (ROOTCA)');
  });

  it("rootca-compare -o json|yaml: each proxy's roots and whether they share one (exit 79 when not)", async () => {
    const diff = await runCli(['pc', 'rc', istio, spire, '-o', 'json']);
    expect([diff.code, diff.stderr]).toEqual([79, '']);
    const report = JSON.parse(diff.stdout);
    expect(report).toMatchObject({ apiVersion: 'mesh/v1', kind: 'RootCaComparison', sameRoot: false });
    expect(report.proxies.map((p: any) => p.proxy)).toEqual([istio, spire]);
    expect(report.proxies[1].roots.map((r: any) => r.subject)).toEqual([
      'O=my-company.org, CN=East Root CA',
      'O=my-company.org, CN=West Root CA',
    ]);
    for (const p of report.proxies)
      for (const r of p.roots) {
        expect(r.sha256).toMatch(/^([0-9A-F]{2}:){31}[0-9A-F]{2}$/);
        expect(r.notAfter).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/);
        expect(r.serial).toMatch(/^[0-9a-f]{32,}$/);
      }
    const same = await runCli(['pc', 'rc', istio, istio, '-o', 'yaml']);
    expect(same.code).toBe(0);
    expect(same.stdout).toMatch(/^apiVersion: mesh\/v1\nkind: RootCaComparison\n/);
    expect(same.stdout).toMatch(/\nsameRoot: true\n/);
  });

  it('rootca-compare names the dump it cannot read once, as every pc command does', async () => {
    const SECRETS_DUMP = 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump';
    // no SecretsConfigDump section: the same line as `pc secret -f` (it read `Error: F: F: config dump …`)
    const missing = await runCli(['pc', 'rootca-compare', AUTHZ, istio]);
    expect([missing.code, missing.stdout, missing.stderr]).toEqual([
      65,
      '',
      `Error: ${AUTHZ}: config dump has no configuration type ${SECRETS_DUMP}\n`,
    ]);
    // a ROOTCA entry without its secret: the file, line and column, named once
    const noSecret = writeTmp('rootca-no-secret.json', {
      configs: [{ '@type': SECRETS_DUMP, dynamic_active_secrets: [{ name: 'ROOTCA' }] }],
    });
    const r = await runCli(['pc', 'rootca-compare', noSecret, istio]);
    expect([r.code, r.stdout]).toEqual([65, '']);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${noSecret}: line 1 column \\d+: SecretsConfigDump: dynamic_active_secrets\\[0\\] has no secret\\n$`,
      ),
    );
    // what only rootca-compare finds wrong still says which of the two proxies it is
    const noRoot = writeTmp('no-rootca.json', { configs: [{ '@type': SECRETS_DUMP }] });
    const none = await runCli(['pc', 'rootca-compare', istio, noRoot]);
    expect([none.code, none.stderr]).toEqual([
      1,
      `Error: ${noRoot}: the proxy has no active ROOTCA secret\n`,
    ]);
  });

  it('diff: exit 0 and a one-line summary when equal (snake_case vs camelCase dump)', async () => {
    const camel = writeTmp(
      'camel.json',
      (await import('../../../src/envoy/protojson.js')).toProtoJson(
        JSON.parse(readFileSync(SIDECAR, 'utf8')),
      ),
    );
    const r = await runCli(['pc', 'diff', SIDECAR, camel]);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(
      /^No differences between .* \(compared 3 clusters, 2 listeners, 1 route, 2 endpoints, 2 secrets\)\.\n$/,
    );
  });

  it('diff and rootca-compare also take admin URLs (two live proxies)', async () => {
    const a = conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json');
    const b = conformanceDump('istioctl/pkg/proxyconfig/testdata/config_dump.json');
    const clusters = b.configs.find((c: any) => c['@type'].endsWith('ClustersConfigDump'));
    clusters.dynamic_active_clusters[0].cluster.connect_timeout = '5s';
    clusters.dynamic_active_clusters[0].last_updated = '2030-01-01T00:00:00Z'; // bookkeeping: ignored
    const server = await startEnvoyAdmin({}, { a: { dump: a }, b: { dump: b } });
    try {
      const r = await runCli(['pc', 'diff', server.urlOf('a'), server.urlOf('b')]);
      expect(r.code).toBe(79);
      expect(r.stdout).toContain(
        '~ cluster inbound-vip|8000|http|httpbin.default.svc.cluster.local: 1 field differs\n    connectTimeout: (absent) -> "5s"\n',
      );
      const rc = await runCli(['pc', 'rc', server.urlOf('a'), server.urlOf('b')]);
      expect(rc.code).toBe(0);
      expect(rc.stdout).toContain('trust the same root CA (ROOTCA)');
    } finally {
      await server.close();
    }
  });

  it('diff: exit 79 with resources only on one side and field paths that differ', async () => {
    const a = join(COMPARE, 'configdump.json');
    const b = join(COMPARE, 'configdump_diff.json');
    const r = await runCli(['pc', 'diff', a, b]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(
      `- cluster inbound-vip|9080|http|ratings.default.svc.cluster.local: only in ${a}`,
    );
    expect(r.stdout).toContain(
      `+ route inbound-vip|9999|http|reviews-v3.default.svc.cluster.local: only in ${b}`,
    );
    expect(r.stdout).toContain(
      '    filterChains[name=default].filters[name=envoy.filters.network.http_connection_manager].typedConfig.useRemoteAddress: false -> (absent)\n',
    );
    const json = JSON.parse((await runCli(['pc', 'diff', a, b, '-o', 'json'])).stdout);
    expect(json.kind).toBe('ProxyConfigDiff');
    expect(json.same).toBe(false);
    expect(json.differences.find((d: any) => d.name === 'main_internal').fields).toEqual([
      {
        path: 'filterChains[name=inbound-vip|9080||details.default.svc.cluster.local-http].filters[name=envoy.filters.network.http_connection_manager].typedConfig.statPrefix',
        a: 'inbound_0.0.0.0_9080',
        b: 'inbound_0.0.0.0_9999',
      },
    ]);
  });
});
