/**
 * Config dumps shaped like big or odd real proxies, through the CLI as users run it: what they see
 * (output, exit code, error lines). Sizes are kept small enough to be quick; the shapes are those that
 * once cost time or memory out of proportion to the output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli, writesOf } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const tmp = mkdtempSync(join(tmpdir(), 'mesh-large-'));

type Dump = { configs: Array<Record<string, any>> };
const sidecar = (): Dump => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (d: Dump, type: string) => d.configs.find((c) => c['@type'].endsWith(`.${type}`))!;

function write(name: string, d: Dump): string {
  const file = join(tmp, name);
  writeFileSync(file, JSON.stringify(d, null, 1));
  return file;
}

/** The sidecar dump with one route configuration, `name`, of these virtual hosts. */
function routeDump(name: string, virtual_hosts: unknown[]): Dump {
  const d = sidecar();
  section(d, 'RoutesConfigDump').dynamic_route_configs = [
    {
      route_config: {
        '@type': 'type.googleapis.com/envoy.config.route.v3.RouteConfiguration',
        name,
        virtual_hosts,
      },
    },
  ];
  return d;
}

/** The sidecar dump with `n` dynamic clusters all named `name`, the i-th with connect_timeout `timeout(i)`. */
function sharedNameDump(n: number, name: string, timeout: (i: number) => string): Dump {
  const d = sidecar();
  const clusters = section(d, 'ClustersConfigDump');
  const template = clusters.dynamic_active_clusters[0];
  clusters.dynamic_active_clusters = Array.from({ length: n }, (_, i) => {
    const c = structuredClone(template);
    c.cluster.name = name;
    c.cluster.connect_timeout = timeout(i);
    return c;
  });
  return d;
}

describe('many resources sharing one name', () => {
  const NAME = 'outbound|80||dup.default.svc.cluster.local';
  const N = 1500;

  it('pc diff tells them apart by position (#2, #3, …) and finds the one that differs', async () => {
    const a = write(
      'dup-a.json',
      sharedNameDump(N, NAME, () => '10s'),
    );
    const b = write(
      'dup-b.json',
      sharedNameDump(N, NAME, (i) => (i === N - 1 ? '5s' : '10s')),
    );
    const r = await runCli(['pc', 'diff', a, b]);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(79);
    expect(r.stdout.split('\n').slice(2)).toEqual([
      `~ cluster ${NAME} #${N}: 1 field differs`,
      '    connectTimeout: "10s" -> "5s"',
      `1 difference (compared ${N + 2} clusters, 2 listeners, 1 route, 2 endpoints, 2 secrets).`,
      '',
    ]);
  });

  it('a name that looks like a numbered duplicate keeps its own place', async () => {
    const d = sharedNameDump(4, NAME, () => '10s');
    section(d, 'ClustersConfigDump').dynamic_active_clusters[1].cluster.name = `${NAME} #2`;
    const b = structuredClone(d);
    section(b, 'ClustersConfigDump').dynamic_active_clusters[3].cluster.connect_timeout = '5s';
    // a: NAME, "NAME #2" (its own), NAME (→ #3), NAME (→ #4)
    const r = await runCli(['pc', 'diff', write('lit-a.json', d), write('lit-b.json', b)]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(`~ cluster ${NAME} #4: 1 field differs\n`);
  });

  it('drift compares replicas whose dumps hold them', async () => {
    const a = write(
      'drift-a.json',
      sharedNameDump(N, NAME, () => '10s'),
    );
    const b = write(
      'drift-b.json',
      sharedNameDump(N, NAME, (i) => (i === N - 1 ? '5s' : '10s')),
    );
    const same = await runCli(['drift', '-f', `web-0.shop=${a}`, '-f', `web-1.shop=${a}`]);
    expect([same.code, same.stdout]).toEqual([0, 'shop/web: 2 replicas, no drift\n']);
    const r = await runCli([
      'drift',
      '-f',
      `web-0.shop=${a}`,
      '-f',
      `web-1.shop=${a}`,
      '-f',
      `web-2.shop=${b}`,
    ]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(`~ cluster ${NAME} #${N}: 1 field differs\n`);
  });
});

describe('-o yaml of a large dump', () => {
  it('writes every resource: 4,000 clusters read back as -o json gives them', async () => {
    const d = sidecar();
    const clusters = section(d, 'ClustersConfigDump');
    const template = clusters.dynamic_active_clusters[0];
    clusters.dynamic_active_clusters = Array.from({ length: 4000 }, (_, i) => {
      const c = structuredClone(template);
      c.cluster.name = `outbound|${8000 + (i % 50)}||svc-${i}.team-${i % 60}.svc.cluster.local`;
      c.cluster.metadata.filter_metadata.istio.note = `a note that is long enough to be folded past the eightieth column, number ${i}`;
      return c;
    });
    const file = write('yaml-4000.json', d);
    const yaml = await runCli(['pc', 'cluster', '-f', file, '-o', 'yaml']);
    const json = await runCli(['pc', 'cluster', '-f', file, '-o', 'json']);
    expect([yaml.code, yaml.stderr, json.code]).toEqual([0, '', 0]);
    expect(yaml.stdout.endsWith('\n\n')).toBe(true);
    const { load } = await import('js-yaml');
    const read = load(yaml.stdout) as unknown[];
    expect(read).toHaveLength(4002);
    expect(read).toEqual(JSON.parse(json.stdout));
  });

  it('writes each kind of scalar as go-yaml does', async () => {
    const { toGoYaml } = await import('../../../src/envoy/goyaml.js');
    const value = {
      'a key': 'tab\there',
      'x:y': 'yes',
      q: "it's",
      u: 'é\u2028😀\u0007',
      lit: 'line one\n\n  indented\nlast\n',
      long: 'word '.repeat(30).trim(),
      b64: 'QUJD'.repeat(40),
      n: '0x1F',
      e: '',
    };
    expect(toGoYaml(value)).toBe(
      [
        'a key: "tab\\there"',
        `b64: ${'QUJD'.repeat(40)}`,
        'e: ""',
        'lit: |',
        '  line one',
        '',
        '    indented',
        '  last',
        `long: ${'word '.repeat(16).trim()}`,
        `  ${'word '.repeat(14).trim()}`,
        '"n": "0x1F"',
        "q: it's",
        'u: "é\\L😀\\a"',
        'x:y: "yes"',
        '',
      ].join('\n'),
    );
  });
});

describe('output longer than one string can be', () => {
  it('is written in pieces that join to exactly the JSON text', async () => {
    const { jsonText, jsonTextPieces, parseJsonExactly } =
      await import('../../../src/envoy/exact-numbers.js');
    const values: unknown[] = [
      [],
      {},
      'x',
      null,
      { a: [], b: {}, c: [1, { d: 'e' }], u: undefined, f: () => 1 },
      [undefined, null, [[[[[[1]]]]]]],
      parseJsonExactly('{"configs":[{"big":18446744073709551615,"e":1e400,"z":-0,"l":[1e-400,{"k":[]}]}]}'),
    ];
    for (const v of values)
      for (const indent of [1, 4])
        for (const levels of [0, 1, 2, 4, 9])
          expect([...jsonTextPieces(v, indent, levels)].join('')).toBe(jsonText(v, indent));
    // 3 MB of resources: more than one piece, none much longer than a resource past 1 MiB
    const dump = {
      configs: [
        { resources: Array.from({ length: 3000 }, (_, i) => ({ name: `r${i}`, pad: 'x'.repeat(1000) })) },
      ],
    };
    const pieces = [...jsonTextPieces(dump, 1)];
    expect(pieces.length).toBeGreaterThan(2);
    expect(Math.max(...pieces.map((p) => p.length))).toBeLessThan((1 << 20) + 2000);
    expect(pieces.join('')).toBe(jsonText(dump, 1));
  });

  it('-o json and -o yaml of a dump print what they printed as one string', async () => {
    const { goJson } = await import('../../../src/envoy/protojson.js');
    const { toGoYaml, toGoYamlPieces } = await import('../../../src/envoy/goyaml.js');
    const r = await runCli(['pc', 'route', '-f', SIDECAR, '-o', 'json']);
    const value = JSON.parse(r.stdout);
    expect(r.stdout).toBe(`${goJson(value)}\n`);
    const y = await runCli(['pc', 'route', '-f', SIDECAR, '-o', 'yaml']);
    expect(y.stdout).toBe(`${toGoYaml(value)}\n`);
    expect([...toGoYamlPieces(value)].join('')).toBe(toGoYaml(value));
  });
});

describe('pc diff and drift of dumps that differ everywhere', () => {
  const N = 2000;
  /** The sidecar dump with `n` clusters, three fields of each changed or not. */
  function clustersDump(n: number, changed: boolean): Dump {
    const d = sidecar();
    const clusters = section(d, 'ClustersConfigDump');
    const template = clusters.dynamic_active_clusters[0];
    clusters.dynamic_active_clusters = Array.from({ length: n }, (_, i) => {
      const c = structuredClone(template);
      c.cluster.name = `outbound|8080||svc-${i}.team-${i % 60}.svc.cluster.local`;
      c.cluster.connect_timeout = changed ? '5s' : '10s';
      c.cluster.lb_policy = changed ? 'RANDOM' : 'LEAST_REQUEST';
      c.cluster.metadata.filter_metadata.istio.note = `${changed ? 'after' : 'before'} the rollout of ${i}`;
      return c;
    });
    return d;
  }
  const fields = (lines: string[]) => lines.filter((l) => /^ {4}\S/.test(l)).length;

  // two dumps of 306 and 314 MB whose every route differs make 584 MB of text and 845 MB of JSON, more
  // than a JavaScript string holds: written in pieces as they are made (here at a size a test can run)
  it('pc diff prints every difference in pieces, text and -o json', async () => {
    const a = write('every-a.json', clustersDump(N, false));
    const b = write('every-b.json', clustersDump(N, true));
    const text = await runCli(['pc', 'diff', a, b]);
    expect([text.code, text.stderr]).toEqual([79, '']);
    const lines = text.stdout.split('\n');
    expect(lines.filter((l) => l.startsWith('~ cluster outbound|8080||svc-'))).toHaveLength(N);
    expect(fields(lines)).toBe(3 * N);
    expect(lines.slice(-2)).toEqual([
      `${N} differences (compared ${N + 2} clusters, 2 listeners, 1 route, 2 endpoints, 2 secrets).`,
      '',
    ]);
    expect(writesOf(text)).toBeGreaterThan(1);

    const json = await runCli(['pc', 'diff', a, b, '-o', 'json']);
    expect([json.code, json.stderr]).toEqual([79, '']);
    const d = JSON.parse(json.stdout);
    expect(d.differences).toHaveLength(N);
    expect(d.differences.every((x: any) => x.status === 'changed' && x.fields.length === 3)).toBe(true);
    // as JSON.stringify printed the report when it was one string
    expect(json.stdout).toBe(`${JSON.stringify(d, null, 2)}\n`);
    expect(writesOf(json)).toBeGreaterThan(1);
  });

  // 360 replicas of 1.8 MB gateway dumps, 179 of them drifted in every route, make 552 MB of text
  // (200 replicas, 99 drifted: 549 MB of JSON)
  it('drift prints the diff of every drifted replica in pieces, text and -o json', async () => {
    const before = write('drift-before.json', clustersDump(300, false));
    const after = write('drift-after.json', clustersDump(300, true));
    // a rollout half done: 7 replicas on the old config (the reference), 6 drifted
    const args = Array.from({ length: 13 }, (_, i) => [
      '-f',
      `web-${i}.shop=${i < 7 ? before : after}`,
    ]).flat();
    const text = await runCli(['drift', ...args]);
    expect([text.code, text.stderr]).toEqual([79, '']);
    const lines = text.stdout.split('\n');
    expect(lines[0]).toBe('shop/web: 6 of 13 replicas drifted');
    expect(lines.filter((l) => l.startsWith('  --- web-0.shop'))).toHaveLength(6);
    expect(lines.filter((l) => l.startsWith('  ~ cluster '))).toHaveLength(6 * 300);
    expect(lines.filter((l) => /^ {6}\S/.test(l))).toHaveLength(6 * 300 * 3);
    expect(writesOf(text)).toBeGreaterThan(1);

    const json = await runCli(['drift', ...args, '-o', 'json']);
    expect([json.code, json.stderr]).toEqual([79, '']);
    const report = JSON.parse(json.stdout);
    const drifted = report.workloads[0].drifted;
    expect(drifted.map((x: any) => x.id).sort()).toEqual(
      Array.from({ length: 6 }, (_, i) => `web-${i + 7}.shop`).sort(),
    );
    for (const x of drifted) expect(x.configDiff.differences).toHaveLength(300);
    expect(json.stdout).toBe(`${JSON.stringify(report, null, 2)}\n`);
    expect(writesOf(json)).toBeGreaterThan(1);
  });
});

describe('a drifted replica whose diff is longer than a call can take', () => {
  // 150,000 lines: drift ended in 'Error: Maximum call stack size exceeded' (exit 1) past about 125,000
  it('is printed whole', async () => {
    const N = 15_000;
    const routes = (changed: boolean): Dump => {
      const virtual_hosts = Array.from({ length: N }, (_, i) => ({
        name: `svc-${i}.shop.svc.cluster.local:8080`,
        domains: Array.from({ length: 10 }, (_, j) => `svc-${i}-${j}.shop${changed ? '.example' : ''}`),
        routes: [{ match: { prefix: '/' }, route: { cluster: 'outbound|8080||svc.shop.svc.cluster.local' } }],
      }));
      return routeDump('8080', virtual_hosts);
    };
    const before = write('vhosts-before.json', routes(false));
    const after = write('vhosts-after.json', routes(true));
    const args = ['-f', `web-0.shop=${before}`, '-f', `web-1.shop=${before}`, '-f', `web-2.shop=${after}`];
    const r = await runCli(['drift', ...args]);
    expect([r.code, r.stderr]).toEqual([79, '']);
    const lines = r.stdout.split('\n');
    expect(lines.slice(0, 4)).toEqual([
      'shop/web: 1 of 3 replicas drifted',
      '  --- web-0.shop',
      '  +++ web-2.shop',
      `  ~ route 8080: ${10 * N} fields differ`,
    ]);
    expect(lines).toHaveLength(10 * N + 6);
    expect(lines[4]).toBe(
      '      virtualHosts[name=svc-0.shop.svc.cluster.local:8080].domains[0]: "svc-0-0.shop" -> "svc-0-0.shop.example"',
    );
  });
});

describe('many fields mesh cannot decode', () => {
  it('pc diff counts them per type in one line', async () => {
    const N = 3000;
    const b = sidecar();
    const clusters = section(b, 'ClustersConfigDump');
    const template = clusters.dynamic_active_clusters[0];
    clusters.dynamic_active_clusters = Array.from({ length: N }, (_, i) => {
      const c = structuredClone(template);
      c.cluster.name = `c${i}`;
      return c;
    });
    const a = structuredClone(b);
    // one side holds the Any as its type URL and bytes (as istiod sends a type mesh has no .proto for)
    const type = template.cluster.transport_socket.typed_config['@type'];
    for (const c of section(a, 'ClustersConfigDump').dynamic_active_clusters)
      c.cluster.transport_socket.typed_config = { type_url: type, value: 'AAAA' };
    const r = await runCli(['pc', 'diff', write('opaque-a.json', a), write('opaque-b.json', b)]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      `? ${N} fields not compared (first: cluster c0: transportSocket.typedConfig): it holds ${type}, which mesh cannot decode`,
      '',
    ]);
  });

  it('pc diff counts more of them in one resource than a call takes arguments', async () => {
    // 130,000: past the ≈ 125,000 arguments of push(...list), which ended pc diff in a stack overflow
    const N = 130_000;
    const type = 'type.googleapis.com/example.NotKnownToMesh';
    const routes = (opaque: boolean): Dump => {
      const virtual_hosts = Array.from({ length: N }, (_, i) => ({
        name: `h${i}`,
        domains: [`h${i}`],
        typed_per_filter_config: {
          f: opaque ? { type_url: type, value: 'AAAA' } : { '@type': type },
        },
      }));
      return routeDump('80', virtual_hosts);
    };
    const r = await runCli([
      'pc',
      'diff',
      write('vh-opaque-a.json', routes(true)),
      write('vh-opaque-b.json', routes(false)),
    ]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').slice(1)).toEqual([
      `? ${N} fields not compared (first: route 80: virtualHosts[name=h0].typedPerFilterConfig.f): it holds ${type}, which mesh cannot decode`,
      '',
    ]);
  });
});

describe('a damaged dump nested 100,000 levels deep', () => {
  it('is named with the line and column where it breaks, not where the section starts', async () => {
    const file = join(tmp, 'deep-damaged.json');
    const head =
      '{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"name":"x","metadata":';
    // 100,000 lists opened, two closed, then a brace where a bracket belongs
    writeFileSync(file, `${head}${'['.repeat(100_000)}]]}}]}]}`);
    const column = head.length + 100_000 + 3;
    const r = await runCli(['pc', 'cluster', '-f', file]);
    expect([r.code, r.stdout, r.stderr]).toEqual([
      65,
      '',
      `Error: error unmarshalling config dump response from Envoy: ${file}: line 1 column ${column}: unexpected "}" in ClustersConfigDump\n`,
    ]);
    const authz = await runCli(['authz', 'check', '-f', file]);
    expect([authz.code, authz.stderr]).toEqual([
      65,
      `Error: cannot parse config dump: ${file}: line 1 column ${column}: unexpected "}"\n`,
    ]);
  });
});

describe('a name so long that the padded table outgrows a string', () => {
  it('is one error naming the input and what to do; -o json and the other sections of all still print', async () => {
    const d = sidecar();
    const clusters = section(d, 'ClustersConfigDump');
    const template = clusters.dynamic_active_clusters[0];
    const long = `outbound|80||${'a'.repeat(300_000)}.svc.cluster.local`;
    clusters.dynamic_active_clusters = Array.from({ length: 2000 }, (_, i) => {
      const c = structuredClone(template);
      c.cluster.name = i === 5 ? long : `outbound|80||svc-${i}.default.svc.cluster.local`;
      return c;
    });
    const file = write('long-name.json', d);
    const r = await runCli(['pc', 'cluster', '-f', file]);
    expect([r.code, r.stdout]).toEqual([65, '']);
    expect(r.stderr).toMatch(
      new RegExp(
        `^Error: ${file.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}: the table would be 2003 rows of \\d+ characters \\(\\d+ MB: a value that long pads every row\\), more than mesh can print as one text\\nHint: -o json and -o yaml print every value; a filter narrows the table\\n$`,
      ),
    );
    const json = await runCli(['pc', 'cluster', '-f', file, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).map((c: { name: string }) => c.name)).toContain(long);
    const all = await runCli(['pc', 'all', '-f', file]);
    expect(all.code).toBe(65);
    expect(all.stdout).toContain('listener/main_internal');
    expect(all.stderr).toMatch(/^Error: .*long-name\.json: the table would be 2003 rows of/);
    const filtered = await runCli(['pc', 'cluster', '-f', file, '--fqdn', 'svc-7.default']);
    expect([filtered.code, filtered.stdout.split('\n').length]).toEqual([0, 3]);
  });
});

describe('thousands of damaged resources', () => {
  it('each is named with its own line and column (pc diff and drift read the rest)', async () => {
    const N = 2000;
    const d = sidecar();
    const clusters = section(d, 'ClustersConfigDump');
    const template = clusters.dynamic_active_clusters[0];
    clusters.dynamic_active_clusters = Array.from({ length: N }, () => {
      const c = structuredClone(template);
      c.cluster.name = 5;
      return c;
    });
    const file = write('damaged-names.json', d);
    const text = readFileSync(file, 'utf8');
    // where each `"name": 5` value is
    const at: string[] = [];
    text.split('\n').forEach((line, i) => {
      const col = line.indexOf('"name": 5');
      if (col >= 0) at.push(`line ${i + 1} column ${col + 9}`);
    });
    expect(at).toHaveLength(N);
    const r = await runCli(['pc', 'diff', file, SIDECAR]);
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n').slice(0, -1)).toEqual(
      at.map(
        (where, i) =>
          `Error: ${file}: ${where}: ClustersConfigDump: dynamic_active_clusters[${i}].cluster.name must be a string, got 5`,
      ),
    );
    const drift = await runCli(['drift', '-f', `web-0.shop=${file}`, '-f', `web-1.shop=${SIDECAR}`]);
    expect(drift.code).toBe(65);
    expect(drift.stderr.split('\n')).toHaveLength(N + 1);
    expect(drift.stderr.split('\n')[N - 1]).toBe(
      `error: web-0.shop: ${file}: ${at[N - 1]}: ClustersConfigDump: dynamic_active_clusters[${N - 1}].cluster.name must be a string, got 5`,
    );
  });
});

describe('authz check of a dump with many damaged listeners', () => {
  it('names each with its line and column and still prints the table', async () => {
    const AUTHZ = join(CONFORMANCE, 'istioctl/pkg/authz/testdata/configdump.yaml');
    const d: Dump = JSON.parse(readFileSync(AUTHZ, 'utf8'));
    const listeners = section(d, 'ListenersConfigDump');
    const template = listeners.dynamic_listeners.find((l: any) => l.active_state?.listener?.filter_chains);
    const N = 300;
    const damaged = Array.from({ length: N }, (_, i) => {
      const l = structuredClone(template);
      l.name = `damaged-${i}`;
      l.active_state.listener.name = l.name;
      l.active_state.listener.filter_chains[0].filters = 'x';
      return l;
    });
    const index = listeners.dynamic_listeners.length;
    listeners.dynamic_listeners.push(...damaged);
    const file = write('authz-damaged.json', d);
    const lines = readFileSync(file, 'utf8').split('\n');
    const at = lines.flatMap((line, i) => (line.endsWith('"filters": "x"') ? [i + 1] : []));
    expect(at).toHaveLength(N);
    const r = await runCli(['authz', 'check', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stdout.split('\n')[0]).toMatch(/^ACTION +AuthorizationPolicy +RULES$/);
    expect(r.stderr.split('\n').slice(0, -1)).toEqual(
      at.map(
        (line, i) =>
          `Error: ${file}: line ${line} column ${lines[line - 1]!.indexOf('"x"') + 1}: ListenersConfigDump: dynamic_listeners[${index + i}].active_state.listener.filter_chains[0].filters must be a list, got "x"`,
      ),
    );
  });
});
