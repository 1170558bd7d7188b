/**
 * The flags that say which control plane to ask (`-i/--istioNamespace`, `-r/--revision`, `--xds-label`):
 * a value no istiod pod can be found with is a usage error (64) naming the flag, as `-n Bad_NS` is,
 * before any kubeconfig is read; it was a runtime failure (1) with the API server's words
 * (`Namespace parameter required.`, `unable to parse requirement`). The same in every command that asks
 * the control plane.
 */
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';

const NAMESPACE_HINT =
  'Hint: a namespace is lower-case letters, digits and "-", starting and ending with a letter or digit\n';

const CASES: Array<[string[], string]> = [
  [['-i', ''], 'Error: invalid -i/--istioNamespace "": not a namespace name\n' + NAMESPACE_HINT],
  [['-i', 'Bad_NS'], 'Error: invalid -i/--istioNamespace "Bad_NS": not a namespace name\n' + NAMESPACE_HINT],
  [
    ['-r', 'bad rev!'],
    'Error: invalid -r/--revision "bad rev!": not a revision name\n' +
      'Hint: a revision is a label value: up to 63 letters, digits, "-", "_" and ".", starting and ending with a letter or digit\n',
  ],
  [
    ['--xds-label', 'bad label!'],
    'Error: invalid --xds-label "bad label!": not a label selector\n' +
      'Hint: a label selector is requirements separated by commas: key=value, key!=value, key in (a,b), key, !key (default: app=istiod)\n',
  ],
];

const COMMANDS = [
  ['proxy-status'],
  ['proxy-status', 'catalog-0.shop'],
  ['version'],
  ['drift', '--control-plane'],
];

describe('control-plane flags', () => {
  it('a namespace, revision or label selector no istiod pod can have: exit 64 naming the flag, nothing asked', async () => {
    for (const command of COMMANDS)
      for (const [flag, stderr] of CASES) {
        const r = await runCli([...command, ...flag, '--kubeconfig', '/nonexistent/kubeconfig']);
        expect(r, `${command.join(' ')} ${flag.join(' ')}`).toEqual({ code: 64, stdout: '', stderr });
      }
    // well-formed values are taken: the command goes on to read the kubeconfig
    for (const flag of [
      ['-i', 'mesh-system'],
      ['-r', '1-31_canary.x'],
      ['--xds-label', 'app in (istiod, pilot),!canary,istio.io/rev!=old'],
      ['--xds-label', 'app=istiod,tier'],
    ]) {
      const r = await runCli(['proxy-status', ...flag, '--kubeconfig', '/nonexistent/kubeconfig']);
      expect(r.code, flag.join(' ')).toBe(1);
      expect(r.stderr, flag.join(' ')).toMatch(/^Error: kubeconfig \/nonexistent\/kubeconfig not found\n/);
    }
  });
});
