/** Install inputs of the wrong shape: each is named with its path (exit 64), never dropped or a crash. */
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { scratch } from './kube-inject-run.js';

const { dir, file } = scratch('mesh-spec-input-');
const operator = (spec: string) =>
  file('iop.yaml', `apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\n${spec}\n`);

describe('manifest generate with odd inputs', () => {
  it('--set paths through __proto__ or constructor are unknown fields, not a TypeError', async () => {
    for (const [set, field] of [
      ['__proto__.x=1', 'spec.__proto__'],
      ['values.__proto__.x=1', 'spec.values.__proto__'],
      ['values.constructor.x=1', 'spec.values.constructor'],
    ]) {
      const r = await runCli(['manifest', 'generate', '--set', set!]);
      expect(r).toEqual({
        code: 64,
        stdout: '',
        stderr: `Error: invalid install spec: ${field}: unknown field\n`,
      });
    }
    expect(({} as any).x).toBeUndefined();
  });

  it('an IstioOperator file with a __proto__ key: an unknown field, not a change of every object', async () => {
    const json = file(
      'iop.json',
      '{"apiVersion": "install.istio.io/v1alpha1", "kind": "IstioOperator", "spec": {"__proto__": {"hub": "evil"}}}',
    );
    const r = await runCli(['manifest', 'generate', '-f', json]);
    expect(r).toEqual({
      code: 64,
      stdout: '',
      stderr: 'Error: invalid install spec: spec.__proto__: unknown field\n',
    });
  });

  it('a spec that is not a mapping, or a profile that is not a string, is refused rather than ignored', async () => {
    const spec = await runCli(['manifest', 'generate', '-f', operator('spec: 5')]);
    expect(spec).toEqual({
      code: 64,
      stdout: '',
      stderr: 'Error: invalid install spec: spec: must be object, got 5\n',
    });
    const profile = await runCli(['manifest', 'generate', '-f', operator('spec: {profile: {name: demo}}')]);
    expect(profile).toEqual({
      code: 64,
      stdout: '',
      stderr: 'Error: invalid install spec: spec.profile: must be string, got {"name":"demo"}\n',
    });
  });

  it('an IstioOperator file that does not exist is exit 66 naming it (as every input file; it was 65)', async () => {
    const absent = join(dir, 'absent.yaml');
    const stderr = `Error: open ${absent}: no such file or directory\n`;
    for (const args of [
      ['manifest', 'generate', '-f', absent],
      ['install', '--dry-run', '-f', absent],
      ['uninstall', '--dry-run', '-f', absent],
      ['kube-inject', '-f', operator('spec: {}'), '--operatorFileName', absent],
    ])
      expect(await runCli(args), args.join(' ')).toEqual({ code: 66, stdout: '', stderr });
    // binary content is still unparsable input
    const binary = file('iop.bin', 'apiVersion: \u0000');
    expect((await runCli(['manifest', 'generate', '-f', binary])).code).toBe(65);
  });

  it('hubs and tags that make image references no runtime pulls are refused (exit 64), as istioctl refuses them', async () => {
    const refused = async (args: string[]) => {
      const r = await runCli(['manifest', 'generate', ...args]);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stdout).toBe('');
      return r.stderr;
    };
    const TAG_RULE = 'a tag is up to 128 letters, digits, "_", "." and "-", not starting with "." or "-"';
    expect(await refused(['--set', 'tag=a b'])).toBe(
      `Error: invalid install spec: spec.tag: bad tag "a b": ${TAG_RULE}\n`,
    );
    expect(await refused(['--set', 'hub=UPPER/x'])).toBe(
      'Error: invalid install spec: spec.hub: bad hub "UPPER/x": "UPPER" is not a repository path part (lower-case letters and digits, with ".", "_" or "-" between them)\n',
    );
    expect(await refused(['--set', 'hub=my_reg.io:5000/istio'])).toBe(
      'Error: invalid install spec: spec.hub: bad hub "my_reg.io:5000/istio": "my_reg.io:5000" is not a registry host[:port]\n',
    );
    expect(await refused(['--set', 'values.global.hub=docker.io/istio/'])).toBe(
      'Error: invalid install spec: spec.values.global.hub: bad hub "docker.io/istio/": it has an empty part (an empty hub, or a "/" at its start or end, or "//")\n',
    );
    expect(
      await refused([
        '-f',
        operator('spec:\n  components:\n    ingressGateways:\n    - {name: istio-ingressgateway, tag: -rc}'),
      ]),
    ).toBe(
      `Error: invalid install spec: spec.components.ingressGateways[0].tag: bad tag "-rc": ${TAG_RULE}\n`,
    );
    // what registries and tags really look like is accepted, and rendered into the images
    for (const [set, image] of [
      [
        ['--set', 'hub=localhost:5000', '--set', 'tag=1.31.0-distroless'],
        'localhost:5000/pilot:1.31.0-distroless',
      ],
      [
        ['--set', 'hub=10.0.0.1:5000/my-org/istio', '--set', 'tag=1.2'],
        '10.0.0.1:5000/my-org/istio/pilot:1.2',
      ],
      [
        ['--set', 'hub=gcr.io/istio-release', '--set', 'tag=1.31.0_rc.1'],
        'gcr.io/istio-release/pilot:1.31.0_rc.1',
      ],
    ] as const) {
      const r = await runCli(['manifest', 'generate', ...set]);
      expect(r.code, set.join(' ')).toBe(0);
      expect(r.stdout).toContain(`image: ${image}\n`);
    }
  });

  it('an IstioOperator file without a kind, or with one that is not a string, says so', async () => {
    const none = file('none.yaml', 'apiVersion: install.istio.io/v1alpha1\nspec: {}\n');
    expect(await runCli(['manifest', 'generate', '-f', none])).toEqual({
      code: 65,
      stdout: '',
      stderr: `Error: ${none}: has no kind, expected kind: IstioOperator\n`,
    });
    const five = file('five.yaml', 'apiVersion: install.istio.io/v1alpha1\nkind: 5\n');
    expect((await runCli(['manifest', 'generate', '-f', five])).stderr).toBe(
      `Error: ${five}: kind is 5, expected kind: IstioOperator\n`,
    );
  });

  it('a metadata.name that is no label value is refused (exit 64) before anything is rendered', async () => {
    for (const name of ['has space', 'a'.repeat(64), '-x', 'x\u001b[2J']) {
      const r = await runCli([
        'manifest',
        'generate',
        '-f',
        operator(`metadata: {name: ${JSON.stringify(name)}}\nspec: {}`),
      ]);
      expect([r.code, r.stdout], name).toEqual([64, '']);
      expect(r.stderr.split('\n')[0], name).toMatch(
        /^Error: invalid install spec: metadata\.name: .* is no Kubernetes label value/,
      );
    }
    const ok = await runCli([
      'manifest',
      'generate',
      '-f',
      operator('metadata: {name: my-mesh_1.0}\nspec: {}'),
    ]);
    expect(ok.code).toBe(0);
    expect(ok.stdout).toContain('install.operator.istio.io/owning-resource: my-mesh_1.0');
  });
});
