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
});
