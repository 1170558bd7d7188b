/**
 * Syntax errors name their kind and place, never the text of the file: Node's JSON.parse messages quote
 * the text around the error (a secret, sometimes a line break), js-yaml's quote a tag or alias name (an
 * unquoted `password: *hunter2` is an alias).
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, onTestFinished } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem } from '../../../src/manifests/types.js';
import { runCli } from '../../support/cli.js';

function problemsOf(text: string, file: string): LoadProblem[] {
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, [], problems);
  return problems;
}

const SECRET_JSON =
  '{"apiVersion":"v1","kind":"Secret","metadata":{"name":"s","namespace":"shop"},"stringData":{"password": SuperSecretPassw0rd}}';

describe('JSON syntax errors', () => {
  it('say the kind and the line and column, not the text around the error', () => {
    expect(problemsOf(SECRET_JSON, 's.json')).toEqual([
      {
        severity: 'error',
        file: 's.json',
        docIndex: 0,
        line: 1,
        column: 105,
        message: 'JSON syntax error: unexpected character',
      },
    ]);
    // Node's message would quote `// c\n{"apiVe…`, line break included
    expect(problemsOf('// c\n{"apiVersion":"v1","kind":"Namespace"}', 'c.json')).toEqual([
      {
        severity: 'error',
        file: 'c.json',
        docIndex: 0,
        line: 1,
        column: 1,
        message: 'JSON syntax error: unexpected character',
      },
    ]);
  });

  it('keep the kinds Node names without quoting', () => {
    const cases: Array<[string, string]> = [
      ['{\n  "a": "pass\nword"\n}', '2:13 control character in a string (write it escaped, as \\n)'],
      ['{\n  "a": 1', "2:9 expected ',' or '}' after a property value"],
      ['{\n  "a": "\\q"}', '2:10 invalid escape in a string'],
      ['{"a": "unterminated', '1:20 unterminated string'],
      ['{"a": 1} trailing', '1:10 unexpected text after the JSON value'],
      ['{"a": -x}', '1:8 malformed number'],
      ['', ''],
      ['[', '1:2 unexpected end of input'],
    ];
    for (const [text, said] of cases) {
      const p = problemsOf(text, 'x.json');
      expect(p.map((x) => `${x.line}:${x.column} ${x.message.replace('JSON syntax error: ', '')}`)).toEqual(
        said ? [said] : [],
      );
    }
  });

  it('reach stderr, the JSON report and SARIF without the secret, one line each', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-syntax-'));
    onTestFinished(() => rmSync(dir, { recursive: true, force: true }));
    const file = join(dir, 'secret.json');
    writeFileSync(file, SECRET_JSON);
    const log = await runCli(['analyze', file]);
    expect(log).toEqual({
      code: 65,
      stdout: '',
      stderr:
        `error: ${file}:1:105: JSON syntax error: unexpected character\n` +
        `✔ No validation issues found when analyzing ${file} (but 1 document(s) could not be parsed).\n`,
    });
    for (const format of ['json', 'sarif']) {
      const r = await runCli(['analyze', file, '-o', format]);
      expect(r.stdout).toContain('JSON syntax error: unexpected character');
      expect(r.stdout).not.toMatch(/SuperSecre|assword"/);
      expect(r.code).toBe(65);
    }
  });
});

describe('YAML syntax errors', () => {
  it('quote no alias or tag name: an unquoted value starting with * or ! is not shown', () => {
    const secret = (value: string) =>
      `apiVersion: v1\nkind: Secret\nmetadata: {name: s}\nstringData:\n  password: ${value}\n`;
    const said = (value: string) =>
      problemsOf(secret(value), 's.yaml').map((p) => `${p.line}:${p.column} ${p.message}`);
    expect(said('*hunter2')).toEqual([
      '5:21 YAML syntax error: unidentified alias (an unquoted value cannot start with "*")',
    ]);
    expect(said('!hunter2 x')).toEqual([
      '5:23 YAML syntax error: unknown tag (an unquoted value cannot start with "!")',
    ]);
    expect(said('!e!hunter2 x')).toEqual(['5:23 YAML syntax error: undeclared tag handle']);
    expect(said('!!str\x07hunter2')).toEqual([
      '5:26 YAML syntax error: tag name cannot contain such characters',
    ]);
  });
});
