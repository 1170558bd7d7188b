/**
 * The sections of a config dump are its top-level `configs[]` entries, however the text looks: an object
 * nested in a section with an admin `@type` is no section; two sections of one type are both read (with
 * a warning naming the file and type); a dump nested too deeply is said with the file, line and column.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const ADMIN = 'type.googleapis.com/envoy.admin.v3.';
const tmp = mkdtempSync(join(tmpdir(), 'mesh-dump-sections-'));
const sidecar = () => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (dump: any, name: string) => dump.configs.find((c: any) => c['@type'] === ADMIN + name);
const write = (name: string, text: string) => {
  const file = join(tmp, name);
  writeFileSync(file, text);
  return file;
};
const clusterNames = async (file: string) => {
  const r = await runCli(['pc', 'cluster', '--file', file, '-o', 'json']);
  return {
    code: r.code,
    stderr: r.stderr,
    names: r.code === 0 ? JSON.parse(r.stdout).map((c: any) => c.name) : [],
  };
};

describe('objects nested in a section with an admin @type', () => {
  /** The tester's dump: a static cluster entry typed `…ClustersConfigDump.StaticCluster`, and an object typed `SecretsConfigDump` in a cluster's metadata list. */
  const nested = () => {
    const dump = sidecar();
    const clusters = section(dump, 'ClustersConfigDump');
    clusters.static_clusters[1] = {
      '@type': `${ADMIN}ClustersConfigDump.StaticCluster`,
      ...clusters.static_clusters[1],
    };
    clusters.dynamic_active_clusters[0].cluster.metadata = {
      filter_metadata: { x: { list: [{ a: 1 }, { '@type': `${ADMIN}SecretsConfigDump`, note: 'hi' }] } },
    };
    return dump;
  };

  it('are read as what they are, in any layout (the dump is valid JSON)', async () => {
    const expected = await clusterNames(SIDECAR);
    for (const [name, text] of [
      ['nested.json', JSON.stringify(nested(), null, 1)],
      ['nested-4.json', JSON.stringify(nested(), null, 4)],
      ['nested-min.json', JSON.stringify(nested())],
    ] as const) {
      const file = write(name, text);
      expect(await clusterNames(file), name).toEqual({ ...expected, stderr: '' });
      const table = await runCli(['pc', 'cluster', '--file', file]);
      expect(table.code, name).toBe(0);
      expect(table.stdout).toBe((await runCli(['pc', 'cluster', '--file', SIDECAR])).stdout);
      // the nested SecretsConfigDump is no second secrets section
      const secrets = await runCli(['pc', 'secret', '--file', file]);
      expect([secrets.code, secrets.stderr], name).toEqual([0, '']);
    }
  });

  it('pc all -o json gives the dump as it is', async () => {
    const dump = nested();
    const file = write('nested-all.json', JSON.stringify(dump, null, 1));
    const r = await runCli(['pc', 'all', '--file', file, '-o', 'json']);
    expect(r.code).toBe(0);
    const configs = JSON.parse(r.stdout).configs;
    expect(configs.map((c: any) => c['@type'])).toEqual(dump.configs.map((c: any) => c['@type']));
  });

  it('a damaged dump: the damage is reported where it is, not where a nested object was cut off', async () => {
    const text = JSON.stringify(nested(), null, 1);
    const at = text.indexOf('"static_listeners": [') + '"static_listeners": '.length;
    const file = write('nested-damaged.json', text.slice(0, at) + '#' + text.slice(at));
    const where = `line ${text.slice(0, at).split('\n').length} column ${at - text.lastIndexOf('\n', at)}`;
    const unmarshal = `Error: error unmarshalling config dump response from Envoy: ${file}: ${where}: unexpected "#"`;
    const listeners = await runCli(['pc', 'listener', '--file', file]);
    expect(listeners).toEqual({ code: 65, stdout: '', stderr: `${unmarshal} in ListenersConfigDump\n` });
    // the clusters section could only be told from the objects nested in it by parsing the whole text
    const clusters = await runCli(['pc', 'cluster', '--file', file]);
    expect(clusters).toEqual({ code: 65, stdout: '', stderr: `${unmarshal}\n` });
  });
});

describe('two sections of one type', () => {
  const twice = () => {
    const dump = sidecar();
    const second = {
      '@type': `${ADMIN}ClustersConfigDump`,
      static_clusters: [{ cluster: { name: 'only_in_second_section', type: 'STATIC' } }],
    };
    dump.configs.splice(2, 0, second);
    return dump;
  };

  it('are both read, in order, with a warning naming the file and the type', async () => {
    const expected = (await clusterNames(SIDECAR)).names;
    for (const [name, text] of [
      ['twice.json', JSON.stringify(twice(), null, 1)],
      [
        'twice.yaml',
        `configs:\n${twice()
          .configs.map((c: any) => `- ${JSON.stringify(c)}\n`)
          .join('')}`,
      ],
    ] as const) {
      const file = write(name, text);
      const warning = `warning: ${file}: 2 ClustersConfigDump sections (Envoy writes one); reading them all, in order\n`;
      const read = await clusterNames(file);
      expect({ ...read, names: read.names.sort() }, name).toEqual({
        code: 0,
        stderr: warning,
        names: [...expected, 'only_in_second_section'].sort(),
      });
      const table = await runCli(['pc', 'cluster', '--file', file]);
      expect(table.code).toBe(0);
      expect(table.stdout).toContain('only_in_second_section');
      expect(table.stdout).toContain('httpbin.default.svc.cluster.local');
      // said once, however often the section is read
      const all = await runCli(['pc', 'all', '--file', file]);
      expect([all.code, all.stderr]).toEqual([0, warning]);
      // a command that does not read clusters says nothing
      expect((await runCli(['pc', 'listener', '--file', file])).stderr).toBe('');
    }
  });
});

describe('a dump nested too deeply', () => {
  it('is said with the file, line and column where it nests deepest (exit 65)', async () => {
    const head =
      '{"configs":[{"@type":"type.googleapis.com/envoy.admin.v3.ClustersConfigDump","static_clusters":[{"cluster":{"name":"x","metadata":';
    const depth = 200_000;
    const file = write('deep.json', `${head}${'['.repeat(depth)}${']'.repeat(depth)}}}]}]}`);
    const r = await runCli(['pc', 'cluster', '--file', file, '-o', 'json']);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${file}: line 1 column ${head.length + depth}: the input nests objects and lists too deeply to process (Envoy never writes such dumps)\n`,
    });
  });
});
