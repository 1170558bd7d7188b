/**
 * Config dumps shaped like big or odd real proxies, through the CLI as users run it: what they see
 * (output, exit code, error lines). Sizes are kept small enough to be quick; the shapes are those that
 * once cost time or memory out of proportion to the output.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
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
