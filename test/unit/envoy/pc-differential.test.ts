/**
 * `mesh pc` against istioctl on the differential tester's hand-made dumps (test/fixtures/pc-differential):
 * the `istioctl/<case>.out` goldens are what the testbed's istioctl printed for the arguments of
 * cases.json (exit 0), and mesh must print the same bytes. Inputs istioctl refuses are refused by mesh
 * too, with mesh's one-line errors (asserted below, with istioctl's words in comments).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../support/cli.js';

const DIR = join(import.meta.dirname, '../../fixtures/pc-differential');
const cases: Array<{ name: string; args: string[] }> = JSON.parse(
  readFileSync(join(DIR, 'cases.json'), 'utf8'),
);

/** `mesh pc <args>` with the file after -f taken from the fixture folder. */
function pc(...args: string[]) {
  return runCli(['pc', ...args.map((a, i) => (args[i - 1] === '-f' ? join(DIR, a) : a))]);
}

describe('prints what istioctl prints', () => {
  for (const c of cases) {
    it(`${c.name}: pc ${c.args.join(' ')}`, async () => {
      const r = await pc(...c.args);
      expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
      expect(r.stdout).toBe(readFileSync(join(DIR, 'istioctl', `${c.name}.out`), 'utf8'));
    });
  }
});

describe('endpoint: unix-socket, internal and unknown addresses as shown', () => {
  it('sorts a sidecar’s sds-grpc and xds-grpc rows by their unix:// text', async () => {
    const r = await pc('endpoint', '-f', 'ep_sidecar.json');
    expect(r.stdout).toBe(
      [
        'ENDPOINT                                                STATUS      OUTLIER CHECK     CLUSTER',
        '10.244.0.12:9080                                        HEALTHY     OK                outbound|9080||reviews.default.svc.cluster.local',
        '127.0.0.1:15020                                         HEALTHY     OK                agent',
        'unix://./etc/istio/proxy/XDS                            HEALTHY     OK                xds-grpc',
        'unix://./var/run/secrets/workload-spiffe-uds/socket     HEALTHY     OK                sds-grpc',
        '',
      ].join('\n'),
    );
  });

  it('--address unix://… finds the xds-grpc row', async () => {
    const r = await pc('endpoint', '-f', 'ep_sidecar.json', '--address', 'unix://./etc/istio/proxy/XDS');
    expect(r.stdout).toBe(
      [
        'ENDPOINT                         STATUS      OUTLIER CHECK     CLUSTER',
        'unix://./etc/istio/proxy/XDS     HEALTHY     OK                xds-grpc',
        '',
      ].join('\n'),
    );
  });

  it('--address envoy://… and unknown (any case) in -o json keep those clusters', async () => {
    const envoy = await pc('endpoint', '-f', 'ep1.json', '--address', 'ENVOY://AAA/X', '-o', 'json');
    expect(JSON.parse(envoy.stdout).map((c: any) => c.name)).toEqual(['inbound|9080||']);
    const unknown = await pc('endpoint', '-f', 'ep1.json', '--address', 'unknown');
    expect(unknown.stdout).toBe(
      [
        'ENDPOINT     STATUS      OUTLIER CHECK     CLUSTER',
        'unknown      HEALTHY     OK                inbound|9080||',
        '',
      ].join('\n'),
    );
  });

  it('all (EDS): an internal address without a listener name is `unknown`, and --address matches any case', async () => {
    const r = await pc('all', '-f', 'all.json', '--address', 'UNKNOWN');
    expect(r.stdout.split('\n').slice(-3)).toEqual([
      'NAME                 STATUS      LOCALITY     CLUSTER',
      'endpoint/unknown     HEALTHY                  inbound-vip|80|http|web',
      '',
    ]);
  });
});

describe('route: DOMAINS and --name as istioctl has them', () => {
  it('drops bracketed IPv6 domains with at most two colons, keeps those with more', async () => {
    const r = await pc('route', '-f', 'all.json', '--name', '80');
    expect(r.stdout).toBe(
      [
        'NAME     VHOST NAME                           DOMAINS                            MATCH     VIRTUAL SERVICE',
        '80       web.default.svc.cluster.local:80     [2001:db8::1], web + 1 more...     /*        ',
        '80       v6only                               [2001:db8::2]                      /api*     ',
        '80       v4only                                                                  /*        404',
        '',
      ].join('\n'),
    );
  });

  it('--name "" is no filter (table, -o json, all)', async () => {
    const all = await pc('route', '-f', 'r1.json');
    const empty = await pc('route', '-f', 'r1.json', '--name', '');
    expect(empty.stdout).toBe(all.stdout);
    expect(empty.stdout.split('\n')).toHaveLength(21);
    const json = await pc('route', '-f', 'all.json', '--name', '', '-o', 'json');
    expect(JSON.parse(json.stdout).map((rc: any) => rc.name)).toEqual(['80', '8080']);
    const everything = await pc('all', '-f', 'all.json', '--name', '');
    expect(everything.stdout).toContain('route/8080     api ');
  });
});

describe('-o json|yaml of an empty section fails as the table does (istioctl: same words, exit 1)', () => {
  for (const [cmd, file, what] of [
    ['cluster', 'empty_all.json', 'clusters'],
    ['listener', 'empty_all.json', 'listeners'],
    ['route', 'r_empty.json', 'routes'],
  ] as const) {
    for (const format of ['json', 'yaml']) {
      it(`${cmd} -o ${format}`, async () => {
        const r = await pc(cmd, '-f', file, '-o', format);
        expect(r).toEqual({ code: 1, stdout: '', stderr: `Error: no ${what} found\n` });
      });
    }
  }
});

describe('--port read as Go reads an int flag (strconv.ParseInt base 0)', () => {
  const table = (port: string) => ['ADDRESSES PORT MATCH DESTINATION', port, ''].join('\n');
  const port80 = '0.0.0.0   80   ALL   Cluster: outbound|80||web.default.svc.cluster.local';

  for (const p of ['0x50', '0X50', '0o120', '0120', '0b1010000', '8_0', '0x_50', '+80']) {
    it(`--port ${p} is 80`, async () => {
      const r = await pc('listener', '-f', 'all.json', '--port', p);
      expect(r).toEqual({ code: 0, stdout: table(port80), stderr: '' });
    });
  }

  it('--port -1 is allowed and matches no listener, cluster or endpoint', async () => {
    expect((await pc('listener', '-f', 'all.json', '--port', '-1')).stdout).toBe(
      'ADDRESSES PORT MATCH DESTINATION\n',
    );
    expect((await pc('cluster', '-f', 'all.json', '--port', '-1')).stdout).toBe(
      'SERVICE FQDN     PORT     SUBSET     DIRECTION     TYPE     DESTINATION RULE\n',
    );
    const ep = await pc('endpoint', '-f', 'ep1.json', '--port', '-1');
    expect(ep).toEqual({
      code: 0,
      stdout: 'ENDPOINT     STATUS     OUTLIER CHECK     CLUSTER\n',
      stderr: '',
    });
  });

  it('--port -0 is 0: no filter', async () => {
    const r = await pc('listener', '-f', 'all.json', '--port', '-0');
    expect(r.stdout.split('\n')).toHaveLength(4);
  });

  // istioctl: `invalid argument "080" for "--port" flag: strconv.ParseInt: parsing "080": invalid syntax`
  for (const p of ['080', '0x', '0b', '_80', '80_', '8__0', '0_', '1e2', '--5']) {
    it(`refuses --port ${p} (exit 64)`, async () => {
      const r = await pc('listener', '-f', 'all.json', `--port=${p}`);
      expect(r).toEqual({
        code: 64,
        stdout: '',
        stderr: `Error: invalid --port "${p}": expected a number\n`,
      });
    });
  }
});

describe('values istioctl refuses are refused, naming file, line, field path and value (exit 65)', () => {
  // istioctl: proto: (line 13:25): invalid value for bytes field inlineBytes: "!!!notbase64"
  for (const format of ['short', 'json']) {
    it(`secret: inline_bytes that is not base64 (-o ${format})`, async () => {
      const r = await pc('secret', '-f', 's_badb64.json', '-o', format);
      expect(r).toEqual({
        code: 65,
        stdout: '',
        stderr:
          'Error: ' +
          join(DIR, 's_badb64.json') +
          ': line 13 column 25: SecretsConfigDump: dynamic_active_secrets[0].secret.tls_certificate.certificate_chain.inline_bytes must be base64, got "!!!notbase64"\n',
      });
    });
  }

  // istioctl: proto: (line 1:294): invalid value for uint32 field portValue: -1
  for (const [file, value, format] of [
    ['l_portneg.json', '-1', 'short'],
    ['l_port2p32.json', '4294967296', 'yaml'],
  ]) {
    it(`listener: port_value ${value} (-o ${format})`, async () => {
      const r = await pc('listener', '-f', file!, '-o', format!);
      expect(r).toEqual({
        code: 65,
        stdout: '',
        stderr: `Error: ${join(DIR, file!)}: line 1 column 294: ListenersConfigDump: dynamic_listeners[0].active_state.listener.address.socket_address.port_value must be an integer in 0..4294967295, got ${value}\n`,
      });
    });
  }

  // istioctl: unknown value "\"FUTURE_STATE\"" for enum envoy.config.core.v3.HealthStatus
  for (const format of ['short', 'json']) {
    it(`endpoint: a health status name no status has in /clusters (-o ${format})`, async () => {
      const r = await pc('endpoint', '-f', 'ep_enum.json', '-o', format);
      expect(r).toEqual({
        code: 65,
        stdout: '',
        stderr: `Error: ${join(DIR, 'ep_enum.json')}: line 1 column 155: cluster_statuses[0].host_statuses[0].health_status.eds_health_status must be one of UNKNOWN, HEALTHY, UNHEALTHY, DRAINING, TIMEOUT, DEGRADED, got "FUTURE_STATE"\n`,
      });
    });
  }

  it('endpoint: a health status number no status has is blank in /clusters', async () => {
    const r = await pc('endpoint', '-f', 'ep_enum7.json');
    expect(r.stdout).toBe(
      [
        'ENDPOINT      STATUS     OUTLIER CHECK     CLUSTER',
        '1.1.1.2:1                OK                c',
        '',
      ].join('\n'),
    );
  });

  it('a config dump reads an unknown enum name as the first value (cluster STATIC, endpoint UNKNOWN), a number as the number', async () => {
    const r = await pc('all', '-f', 'all.json');
    expect(r.stdout).toContain(
      'cluster/outbound|8080||api.default.svc.cluster.local     api.default.svc.cluster.local     8080     -          outbound      STATIC     \n',
    );
    expect(r.stdout).toContain(
      'cluster/outbound|9090||db.default.svc.cluster.local      db.default.svc.cluster.local      9090     -          outbound      7          \n',
    );
    expect(r.stdout).toContain(
      'endpoint/10.0.0.6:80                               UNKNOWN                  outbound|80||web.default.svc.cluster.local\n',
    );
    expect(r.stdout).toContain(
      'endpoint/10.0.0.7:80                               7                        outbound|80||web.default.svc.cluster.local\n',
    );
  });
});

describe('documented deviation: secret reads certificates given as inline_string', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  // istioctl reads inline_bytes only: its rows read `inline_string  ACTIVE  false` with empty columns
  it('shows their type, serial and dates', async () => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(new Date('2030-01-01T00:00:00Z'));
    const r = await pc('secret', '-f', 's_inline_string.json');
    expect(r.stdout).toBe(
      [
        'RESOURCE NAME               TYPE           STATUS     VALID CERT     SERIAL NUMBER                                NOT AFTER                NOT BEFORE',
        'inline_string               Cert Chain     ACTIVE     true           0000000000000000000000000000ab12             2035-01-02T00:00:00Z     2024-01-01T00:00:00Z',
        'vc_inline_string            CA             ACTIVE     true           73e00ac08db37ff4c98fb8f8a18dc82e766390e6     2036-12-03T13:43:05Z     2026-12-06T13:43:05Z',
        'kubernetes://my-gw-cred     Cert Chain     ACTIVE     true           0000000000000000000000000000ab12             2035-01-02T00:00:00Z     2024-01-01T00:00:00Z',
        '',
      ].join('\n'),
    );
  });
});

describe('documented deviations found by the flag and damaged-dump differential', () => {
  // istioctl: `Error: output format "SHORT" not supported`, exit 1
  it('-o is read in any case', async () => {
    const r = await pc('cluster', '-f', 'all.json', '-o', 'SHORT');
    expect({ code: r.code, stderr: r.stderr }).toEqual({ code: 0, stderr: '' });
    expect(r.stdout).toBe(
      [
        'SERVICE FQDN                      PORT     SUBSET     DIRECTION     TYPE       DESTINATION RULE',
        'agent                             -        -          -             STATIC     ',
        'api.default.svc.cluster.local     8080     -          outbound      STATIC     ',
        'db.default.svc.cluster.local      9090     -          outbound      7          ',
        'web.default.svc.cluster.local     80       -          outbound      EDS        ',
        '',
      ].join('\n'),
    );
  });

  // istioctl copies the bytes out (`{"configs": {}}`), exit 0
  it('all -o json refuses a file that is not a config dump', async () => {
    const r = await pc('all', '-f', 'configs_not_list.json', '-o', 'json');
    expect(r).toMatchObject({ code: 65, stdout: '' });
    expect(r.stderr).toBe(
      `Error: ${join(DIR, 'configs_not_list.json')}: line 1 column 13: configs must be a list, got {}\n`,
    );
  });

  // istioctl reads the file as /clusters output: a bare header, exit 0
  it('endpoint refuses a config dump without endpoints', async () => {
    const r = await pc('endpoint', '-f', 'r1.json');
    expect(r).toMatchObject({ code: 65, stdout: '' });
    expect(r.stderr).toContain('the config dump has no endpoints (no EndpointsConfigDump section)');
  });
});
