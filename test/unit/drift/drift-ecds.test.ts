/**
 * `mesh drift` compares extension configs (ECDS: a WasmPlugin's filter config, sent apart from the
 * listeners) by name, as a kind of its own: one replica with another config is drift (was no drift).
 */
import { rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { dumpDir, replica, weights, withWasm } from './sidecars.js';

const { dir, write } = dumpDir('mesh-drift-ecds-');
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const f = (pod: string, dump: unknown) => ['-f', `${pod}.shop=${write(`${pod}.json`, dump)}`];

describe('mesh drift: extension configs (ECDS)', () => {
  it('a WasmPlugin config that differs on one replica is drift, named by the filter', async () => {
    const args = [
      'drift',
      ...f('web-0', withWasm(replica('web-0', '10.244.9.5'), '/admin')),
      ...f('web-1', withWasm(replica('web-1', '10.244.9.7'), '')),
      ...f('web-2', withWasm(replica('web-2', '10.244.9.9'), '/admin')),
    ];
    expect(await runCli(args)).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 3 replicas drifted',
        '  --- web-0.shop',
        '  +++ web-1.shop',
        '  ~ ecds shop.waf: 1 field differs',
        '      typedConfig.config.configuration.value: "{\\"deny\\":\\"/admin\\"}" -> "{\\"deny\\":\\"\\"}"',
        '  1 difference (compared 8 clusters, 6 listeners, 1 route, 1 ecds).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  it('a replica without the extension config lacks it (no ECDS section: none, not unreadable)', async () => {
    const r = await runCli([
      'drift',
      ...f('web-0', withWasm(replica('web-0', '10.244.9.5'), '/admin')),
      ...f('web-1', replica('web-1', '10.244.9.7')),
      ...f('web-2', withWasm(replica('web-2', '10.244.9.9'), '/admin')),
    ]);
    expect(r).toEqual({
      code: 79,
      stdout: [
        'shop/web: 1 of 3 replicas drifted',
        '  --- web-0.shop',
        '  +++ web-1.shop',
        '  - ecds shop.waf: only in web-0.shop',
        '  1 difference (compared 8 clusters, 6 listeners, 1 route, 1 ecds).',
        '',
      ].join('\n'),
      stderr: '',
    });
  });

  // The ECDS section was opened strictly: a syntax error in it made the whole dump unreadable (exit 65,
  // nothing compared), where a damaged cluster section leaves the rest compared.
  it('an ECDS section that does not parse is named, and the rest is still compared', async () => {
    const damaged = join(dir, 'web-1.json');
    const text = JSON.stringify(withWasm(replica('web-1', '10.244.9.7'), '/admin'), null, 1);
    writeFileSync(damaged, text.replace('"name": "shop.waf"', '"name": "shop.waf", oops'));
    const r = await runCli([
      'drift',
      ...f('web-0', withWasm(replica('web-0', '10.244.9.5'), '/admin')),
      '-f',
      `web-1.shop=${damaged}`,
      ...f('web-2', weights(withWasm(replica('web-2', '10.244.9.9'), '/admin'), 50, 50)),
    ]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('shop/web: 1 of 3 replicas drifted');
    expect(r.stdout).toContain('+++ web-2.shop');
    expect(r.stderr).toMatch(/^error: web-1\.shop: .*EcdsConfigDump/m);
  });
});
