/**
 * Replays the `authz check` cases of ../shared/conformance/istioctl-proxy/cases.json: the table from a
 * file dump (through the CLI), the missing-file error, and the analyzer on a bare listeners dump.
 * No deviations.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { analyzeListenersDump, renderAuthzTable } from '../../src/authz/check.js';
import { runCli } from '../support/cli.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istioctl-proxy');
const cases: any[] = JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')).cases.filter((c: any) =>
  c.name.startsWith('authz/'),
);

describe('authz check conformance', () => {
  it('has the three upstream cases', () => {
    expect(cases.map((c) => c.name).sort()).toEqual([
      'authz/check-file',
      'authz/check-missing-file',
      'authz/print-listener-without-rbac',
    ]);
  });

  for (const c of cases) {
    it(c.name, async () => {
      if (c.kind === 'unit') {
        expect(renderAuthzTable(analyzeListenersDump(c.input_inline))).toBe(c.expected_inline);
      } else if (c.expect_error) {
        // `-f fake.yaml` as one argv element: the file name starts with a space.
        const r = await runCli(['authz', 'check', '-f fake.yaml']);
        expect(r.stdout).toBe('');
        expect(r.stderr).toBe(c.expected_inline);
        expect(r.code).toBe(66); // istioctl's error, mesh's exit code for a missing input (README)
      } else {
        const r = await runCli(['authz', 'check', '-f', join(ROOT, c.input)]);
        expect(r.stderr).toBe('');
        expect(r.stdout).toBe(c.expected_inline);
        expect(r.code).toBe(0);
      }
    });
  }
});
