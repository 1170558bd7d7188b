/**
 * `-` (stdin) named by two inputs of one command: stdin can be read only once, so the second input was
 * read as empty (an empty dump, or no policies at all, every case then ALLOW). Every command refuses it
 * before reading anything (exit 64), as `manifest generate -f - -f -` and kube-inject do. The same input
 * named twice to one flag that takes a list (`certs -f - -f -`, `authz test -f - -f -`) is one input.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { FIX, mesh, ROOT } from './helpers.js';

const SIDECAR = join(
  ROOT,
  '../shared/conformance/istioctl-proxy/istioctl/pkg/proxyconfig/testdata/config_dump.json',
);
const POLICIES = join(FIX, '../authz/policies.yaml');
const CASES = join(FIX, '../authz/cases.yaml');

describe('stdin given to two inputs', () => {
  it.each([
    [['pc', 'diff', '-', '-'], SIDECAR],
    [['pc', 'rootca-compare', '-', '-'], SIDECAR],
    [['drift', '-f', 'web-0.shop=-', '-f', 'web-1.shop=-'], SIDECAR],
    [['authz', 'test', '-f', '-', '--cases', '-'], CASES],
    [['authz', 'test', '-f', POLICIES, '-f', '-', '--cases', '-'], CASES],
  ])('mesh %j is a usage error, before anything is read', (args, input) => {
    const r = mesh(args, { input: readFileSync(input, 'utf8') });
    expect(r.stdout).toBe('');
    expect(r.stderr.split('\n')[0]).toMatch(/^Error: .* - \(stdin\) can be read only once$/);
    expect(r.code).toBe(64);
  });

  it('names the inputs that would both read it', () => {
    const r = mesh(['authz', 'test', '-f', '-', '--cases', '-'], { input: readFileSync(CASES, 'utf8') });
    expect(r.stderr).toBe(
      'Error: -f and --cases: - (stdin) can be read only once\nHint: save all but one of these inputs to a file\n',
    );
  });

  it('one - is read as before', () => {
    const r = mesh(['pc', 'diff', '-', SIDECAR], { input: readFileSync(SIDECAR, 'utf8') });
    expect(r.stdout).toMatch(/^No differences between - and /);
    expect(r.code).toBe(0);
  });

  it('certs: a dump named twice to -f (stdin, or one file spelled two ways) is one proxy', () => {
    const once = mesh(['certs', '-f', SIDECAR]);
    const relative = SIDECAR.replace(`${ROOT}/`, '');
    const twice = mesh(['certs', '-f', SIDECAR, '-f', relative]);
    expect([twice.code, twice.stdout]).toEqual([once.code, once.stdout]);
    const input = readFileSync(SIDECAR, 'utf8');
    const stdin = mesh(['certs', '-f', '-', '-f', '-'], { input });
    expect([stdin.code, stdin.stdout]).toEqual([once.code, mesh(['certs', '-f', '-'], { input }).stdout]);
    expect(stdin.stdout.split('\n').filter((l) => l.startsWith('- '))).toHaveLength(2);
  });
});
