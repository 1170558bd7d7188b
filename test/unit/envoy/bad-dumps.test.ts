/** Config dumps and admin answers that are not what a command expects: a clear error and exit 65, never an empty table. */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const AUTHZ = join(CONFORMANCE, 'istioctl/pkg/authz/testdata/configdump.yaml');
const tmp = mkdtempSync(join(tmpdir(), 'mesh-bad-dump-'));
const writeTmp = (name: string, value: unknown) => {
  const file = join(tmp, name);
  writeFileSync(file, typeof value === 'string' ? value : JSON.stringify(value));
  return file;
};
const sidecar = () => JSON.parse(readFileSync(SIDECAR, 'utf8'));
const section = (dump: any, name: string) => dump.configs.find((c: any) => c['@type'].endsWith(name));
/** `line 1 column C` of the value `value` that follows `before` (once) in a one-line file. */
const at = (file: string, before: string, value: string) => {
  const text = readFileSync(file, 'utf8');
  const i = text.indexOf(before + value);
  expect(i, before + value).toBeGreaterThanOrEqual(0);
  expect(text.lastIndexOf(before + value)).toBe(i);
  return `line 1 column ${i + before.length + 1}`;
};

describe('proxy-config endpoint --file', () => {
  it('reads the EDS section of a config dump as the endpoint table', async () => {
    const pkg = await runCli([
      'pc',
      'endpoint',
      '--file',
      writeTmp('package.json', { name: 'x', version: '1.0.0' }),
    ]);
    expect(pkg.code).toBe(65);
    expect(pkg.stdout).toBe('');
    expect(pkg.stderr).toBe(
      `Error: ${join(tmp, 'package.json')}: neither Envoy's /clusters?format=json output ("cluster_statuses") nor a config dump with endpoints ("configs")\n`,
    );
  });

  it('says when a config dump was taken without endpoints (exit 65)', async () => {
    const r = await runCli(['pc', 'endpoint', '--file', AUTHZ]);
    expect(r.code).toBe(65);
    expect(r.stderr).toContain('the config dump has no endpoints (no EndpointsConfigDump section)');
  });
});

describe('config dump sections with wrong field types', () => {
  const garbage = () => {
    const dump = sidecar();
    section(dump, 'ListenersConfigDump').dynamic_listeners = 'garbage';
    section(dump, 'ClustersConfigDump').dynamic_active_clusters[0].cluster.name = 5;
    return writeTmp('garbage.json', dump);
  };

  it('each view names the file, position, section and field, exit 65, no table', async () => {
    const file = garbage();
    const listeners = await runCli(['pc', 'listener', '-f', file]);
    expect(listeners.code).toBe(65);
    expect(listeners.stdout).toBe('');
    expect(listeners.stderr).toBe(
      `Error: ${file}: ${at(file, '"dynamic_listeners":', '"garbage"')}: ListenersConfigDump: dynamic_listeners must be a list, got "garbage"\n`,
    );
    const clusters = await runCli(['pc', 'cluster', '-f', file, '-o', 'json']);
    expect(clusters.code).toBe(65);
    expect(clusters.stderr).toBe(
      `Error: ${file}: ${at(file, '"name":', '5')}: ClustersConfigDump: dynamic_active_clusters[0].cluster.name must be a string, got 5\n`,
    );
    expect((await runCli(['pc', 'route', '-f', file])).code).toBe(0);
  });

  it('`all` prints the sections that are fine and reports the others (exit 65)', async () => {
    const good = await runCli(['pc', 'all', '-f', SIDECAR]);
    const file = garbage();
    const r = await runCli(['pc', 'all', '-f', file]);
    expect(r.code).toBe(65);
    expect(r.stderr).toBe(
      [
        `Error: ${file}: ${at(file, '"name":', '5')}: ClustersConfigDump: dynamic_active_clusters[0].cluster.name must be a string, got 5`,
        `Error: ${file}: ${at(file, '"dynamic_listeners":', '"garbage"')}: ListenersConfigDump: dynamic_listeners must be a list, got "garbage"`,
        '',
      ].join('\n'),
    );
    // Bootstrap, routes, secrets and endpoints print exactly as from the intact dump.
    const blocks = (s: string) => s.split('\n\n');
    const kept = blocks(good.stdout).filter(
      (b) => !/^NAME\s+(SERVICE FQDN|TYPE\s+TLS|ADDRESSES)|^(cluster|listener)\//m.test(b),
    );
    expect(kept.length).toBe(blocks(good.stdout).length - 2);
    expect(blocks(r.stdout)).toEqual(kept);
  });
});

describe('a dump nested deeper than Envoy ever writes', () => {
  it('is unusable input (exit 65) in one line, not a stack overflow (exit 1)', async () => {
    const dump = sidecar();
    section(dump, 'ClustersConfigDump').dynamic_active_clusters[0].cluster.metadata = 'DEEP';
    const deep = `${'{"a":'.repeat(100_000)}1${'}'.repeat(100_000)}`;
    const text = JSON.stringify(dump);
    const file = writeTmp('deep.json', text.replace('"DEEP"', deep));
    // named with the file, and where it nests deepest: the last of the opening braces (one line of JSON)
    const column = text.indexOf('"DEEP"') + 5 * (100_000 - 1) + 1;
    for (const args of [
      ['pc', 'all', '-f', file, '-o', 'yaml'],
      ['pc', 'cluster', '-f', file, '-o', 'yaml'],
    ]) {
      const r = await runCli(args);
      expect(r.code, args.join(' ')).toBe(65);
      expect(r.stderr).toBe(
        `Error: ${file}: line 1 column ${column}: the input nests objects and lists too deeply to process (Envoy never writes such dumps)\n`,
      );
    }
  });
});

describe('lists of the wrong type deep inside a resource', () => {
  const mutated = (name: string, change: (dump: any) => void) => {
    const dump = sidecar();
    change(dump);
    return writeTmp(name, dump);
  };
  const inlineRoute = (dump: any) =>
    section(dump, 'ListenersConfigDump')
      .dynamic_listeners.map((l: any) => l.active_state?.listener)
      .flatMap((l: any) => l?.filter_chains ?? [])
      .flatMap((c: any) => c.filters ?? [])
      .find((f: any) => f.typed_config?.route_config).typed_config.route_config;

  it('a domain that is not a string is exit 65 naming the field, not a TypeError or "[object Object]"', async () => {
    const route = mutated('domain-object.json', (dump) => {
      section(dump, '.RoutesConfigDump').static_route_configs[0].route_config.virtual_hosts[0].domains[0] = {
        toString: 1,
      };
    });
    const r = await runCli(['pc', 'route', '-f', route]);
    expect(r).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${route}: ${at(route, '"domains":[', '{"toString":1}')}: RoutesConfigDump: static_route_configs[0].route_config.virtual_hosts[0].domains[0] must be a string, got {"toString":1}\n`,
    });
    const listener = mutated('inline-domain.json', (dump) => {
      inlineRoute(dump).virtual_hosts[0].domains = [{}];
    });
    const l = await runCli(['pc', 'listener', '-f', listener]);
    const inline = JSON.parse(readFileSync(listener, 'utf8'));
    const listeners = section(inline, 'ListenersConfigDump').dynamic_listeners;
    const li = listeners.findIndex((x: any) => JSON.stringify(x).includes('"domains":[{}]'));
    const chains = listeners[li].active_state.listener.filter_chains;
    const ci = chains.findIndex((x: any) => JSON.stringify(x).includes('"domains":[{}]'));
    const fi = chains[ci].filters.findIndex((x: any) => JSON.stringify(x).includes('"domains":[{}]'));
    expect(l).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${listener}: ${at(listener, '"domains":[', '{}]')}: ListenersConfigDump: dynamic_listeners[${li}].active_state.listener.filter_chains[${ci}].filters[${fi}].typed_config.route_config.virtual_hosts[0].domains[0] must be a string, got {}\n`,
    });
  });

  it('a repeated field holding a scalar is exit 65, where it read as empty and dropped the rows', async () => {
    const file = mutated('vhosts-string.json', (dump) => {
      section(dump, '.RoutesConfigDump').static_route_configs[0].route_config.virtual_hosts = 'garbage';
    });
    const r = await runCli(['pc', 'route', '-f', file]);
    const message = `Error: ${file}: ${at(file, '"virtual_hosts":', '"garbage"')}: RoutesConfigDump: static_route_configs[0].route_config.virtual_hosts must be a list, got "garbage"\n`;
    expect(r).toEqual({ code: 65, stdout: '', stderr: message });
    const all = await runCli(['pc', 'all', '-f', file]);
    expect(all.code).toBe(65);
    expect(all.stdout).toContain('cluster/prometheus_stats');
    expect(all.stderr).toBe(message);
    const numbers = writeTmp('configs-number.json', { configs: 5 });
    const configs = await runCli(['pc', 'cluster', '-f', numbers]);
    expect(configs).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${numbers}: line 1 column 12: configs must be a list, got 5\n`,
    });
  });
});

describe('a YAML dump whose aliases expand without bound ("billion laughs")', () => {
  const laughs = (indent: string) =>
    [
      'a: &a [x, x, x, x, x, x, x, x, x]',
      ...'bcdefg'.split('').map((k, i) => {
        const prev = 'abcdefg'[i];
        return `${k}: &${k} [${Array(9).fill(`*${prev}`).join(', ')}]`;
      }),
    ]
      .map((l) => indent + l)
      .join('\n');

  it('is refused in one line (exit 65) before any view walks billions of nodes', async () => {
    const file = writeTmp(
      'laughs.yaml',
      `configs:\n- "@type": type.googleapis.com/envoy.admin.v3.BootstrapConfigDump\n  bootstrap:\n    node:\n      metadata:\n${laughs('        ')}\n`,
    );
    for (const args of [
      ['pc', 'bootstrap', '-f', file, '-o', 'json'],
      ['pc', 'all', '-f', file],
    ]) {
      const r = await runCli(args);
      expect(r, args.join(' ')).toEqual({
        code: 65,
        stdout: '',
        stderr: `Error: error unmarshalling config dump response from Envoy: ${file}: YAML aliases expand it past twice its size; refused\n`,
      });
    }
  });

  it('a few aliases that repeat a small node are read as YAML means them', async () => {
    const file = writeTmp(
      'alias.yaml',
      'configs:\n- "@type": type.googleapis.com/envoy.admin.v3.BootstrapConfigDump\n  bootstrap:\n    node:\n      metadata:\n        a: &a {x: 1}\n        b: *a\n',
    );
    const r = await runCli(['pc', 'bootstrap', '-f', file, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).bootstrap.node.metadata).toEqual({ a: { x: 1 }, b: { x: 1 } });
  });
});

describe('a dump saved by an editor (UTF-8 byte order mark, CRLF line endings)', () => {
  it('reads as the same dump in every command', async () => {
    const text = readFileSync(SIDECAR, 'utf8');
    const saved = writeTmp('bom-crlf.json', `\ufeff${text.replaceAll('\n', '\r\n')}`);
    const compact = writeTmp('bom-compact.json', `\ufeff${JSON.stringify(JSON.parse(text))}`);
    for (const cmd of [
      ['authz', 'check'],
      ['pc', 'cluster'],
      ['pc', 'listener'],
      ['pc', 'endpoint'],
    ]) {
      const plain = await runCli([...cmd, '-f', SIDECAR]);
      for (const file of [saved, compact]) {
        const r = await runCli([...cmd, '-f', file]);
        expect(r, `${cmd.join(' ')} ${file}`).toEqual({
          ...plain,
          stdout: plain.stdout.replaceAll(SIDECAR, file),
        });
      }
    }
  });
});

describe('a YAML dump written by hand or by a YAML tool', () => {
  it('keeps unquoted timestamps as the strings protobuf JSON has (not Dates printed as {})', async () => {
    const file = writeTmp(
      'timestamps.yaml',
      [
        'configs:',
        '- "@type": type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
        '  dynamic_active_secrets:',
        '  - name: default',
        '    last_updated: 2023-05-15T01:32:52.262Z',
        '    version_info: 2023-05-15',
        '    secret:',
        '      "@type": type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
        '      name: default',
        '',
      ].join('\n'),
    );
    const json = await runCli(['pc', 'secret', '-f', file, '-o', 'json']);
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout).dynamicActiveSecrets[0]).toMatchObject({
      lastUpdated: '2023-05-15T01:32:52.262Z',
      versionInfo: '2023-05-15',
    });
    const yaml = await runCli(['pc', 'secret', '-f', file, '-o', 'yaml']);
    expect(yaml.stdout).toContain('lastUpdated: "2023-05-15T01:32:52.262Z"');
  });
});
