/**
 * Control characters in manifest values (a name, a host) never reach a terminal or a CI log as they are:
 * `-o log` shows them escaped, one finding a line; the report formats carry them as data their readers
 * get back exactly, and never as a line of their own (a forged `::error` workflow command).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { validateXML } from 'xmllint-wasm';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analyzers/types.js';
import { escapeControl } from '../../../src/render/escape.js';
import { renderLog, yamlChunks } from '../../../src/render/findings.js';
import { runCli } from '../../support/cli.js';

/** The whole text of pieces. */
const whole = (chunks: Iterable<string>) => [...chunks].join('');

/** The tester's name, and every other kind of control character. */
const NAME = 'x\n::error file=evil.yaml::pwned\u001b[2J\r\t\u0000\u007f\u0085\u009b[31m\u2028\u2029end';
const SHOWN = 'x\\n::error file=evil.yaml::pwned\\x1b[2J\\r\\t\\x00\\x7f\\x85\\x9b[31m\\u2028\\u2029end';

function manifest(): string {
  const file = join(mkdtempSync(join(tmpdir(), 'mesh-control-')), 'evil.yaml');
  writeFileSync(
    file,
    [
      'apiVersion: networking.istio.io/v1',
      'kind: VirtualService',
      'metadata:',
      // in YAML's escapes: the loader reads the characters themselves
      `  name: ${JSON.stringify(NAME).replace(/[\u007f-\u009f\u2028\u2029]/g, (c) => `\\u${c.charCodeAt(0).toString(16).padStart(4, '0')}`)}`,
      '  namespace: shop',
      'spec:',
      '  hosts: [a]',
      '  gateways: [nogw]',
      '  http: [{route: [{destination: {host: a}}]}]',
      '',
    ].join('\n'),
  );
  return file;
}

/** A line a GitHub runner takes for a workflow command (it trims leading space first). */
const workflowCommand = (line: string) => /^\s*::/.test(line);

describe('-o log', () => {
  it('shows control characters of a name escaped: each finding is exactly one line', async () => {
    const file = manifest();
    const r = await runCli(['analyze', file]);
    expect(r.code).toBe(79);
    expect(r.stdout).toBe(
      `Error [IST0101] (VirtualService shop/${SHOWN} ${file}:8) Referenced gateway not found: "nogw"\n` +
        `Warning [IST0132] (VirtualService shop/${SHOWN} ${file}:8) one or more host [a] defined in VirtualService shop/${SHOWN} not found in Gateway shop/nogw.\n`,
    );
    expect(r.stdout.split('\n').some(workflowCommand)).toBe(false);
  });

  // the warnings on stderr interpolated the names raw: an object defined twice wrote its name's line break
  it('the warning about an object defined twice is one line on stderr too', async () => {
    const file = manifest();
    const twice = join(mkdtempSync(join(tmpdir(), 'mesh-twice-')), 'twice.yaml');
    writeFileSync(twice, `${readFileSync(file, 'utf8')}---\n${readFileSync(file, 'utf8')}`);
    const r = await runCli(['analyze', twice]);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('redefines'));
    expect(warnings).toEqual([
      `warning: ${twice}:11: VirtualService shop/${SHOWN} redefines the one at ${twice}:1 (the later one is analyzed)`,
    ]);
    expect(r.stderr.split('\n').some(workflowCommand)).toBe(false);
  });

  it('escapes the file name, the cluster and the message too; colour only paints the level', () => {
    const finding: Finding = {
      code: 'IST0101',
      level: 'Error',
      message: `Referenced host not found: "${NAME}"`,
      analyzer: 'a',
      origin: `VirtualService shop/${NAME}`,
      cluster: `c\u001b]0;title\u0007`,
      file: `dir\n/evil\u009b.yaml`,
      line: 3,
    };
    const tail = `[IST0101] [cluster-c\\x1b]0;title\\x07] (VirtualService shop/${SHOWN} dir\\n/evil\\x9b.yaml:3) Referenced host not found: "${SHOWN}"`;
    expect(renderLog([finding], false)).toBe(`Error ${tail}`);
    expect(renderLog([finding], true)).toBe(`\u001b[1m\u001b[31mError\u001b[39m\u001b[22m ${tail}`);
  });

  it('escapeControl: C0 (newline and tab included), DEL, C1 and U+2028/U+2029; the rest as it is', () => {
    expect(escapeControl('\u0000\u0001\u0007\b\t\n\u000b\f\r\u001b\u001f')).toBe(
      '\\x00\\x01\\x07\\x08\\t\\n\\x0b\\x0c\\r\\x1b\\x1f',
    );
    expect(escapeControl('\u007f\u0080\u0085\u009b\u009f\u00a0\u2028\u2029')).toBe(
      '\\x7f\\x80\\x85\\x9b\\x9f\u00a0\\u2028\\u2029',
    );
    const plain = 'Referenced host not found: "ünïcødé ✓ \\n" (a backslash stays a backslash)';
    expect(escapeControl(plain)).toBe(plain);
  });

  // A name holding a right-to-left override was printed as it is: a terminal shows `allow\u202Egnp.exe`
  // as `allowexe.png` (Trojan Source).
  it('escapeControl: the bidirectional formatting characters (marks, embeddings, overrides, isolates)', async () => {
    expect(escapeControl('a\u061cb\u200ec\u200fd\u202ae\u202ef\u2066g\u2069h')).toBe(
      'a\\u061cb\\u200ec\\u200fd\\u202ae\\u202ef\\u2066g\\u2069h',
    );
    // through the CLI: a finding on a VirtualService whose name holds U+202E
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-bidi-')), 'vs.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata:\n  name: "allow\\u202Egnp.exe"\n  namespace: shop\nspec:\n  hosts: [a]\n  gateways: [nogw]\n  http: [{route: [{destination: {host: a}}]}]\n',
    );
    const r = await runCli(['analyze', file]);
    expect(r.stdout.split('\n')[0]).toBe(
      `Error [IST0101] (VirtualService shop/allow\\u202egnp.exe ${file}:8) Referenced gateway not found: "nogw"`,
    );
  });
});

describe('report formats carry the characters as data', () => {
  it('-o json, sarif and codeclimate: valid JSON that gives the name back; no raw control character', async () => {
    const file = manifest();
    for (const format of ['json', 'sarif', 'codeclimate']) {
      const r = await runCli(['analyze', file, '-o', format]);
      expect(r.code, format).toBe(79);
      expect(/[\u0000-\u0009\u000b-\u001f]/.test(r.stdout), format).toBe(false);
      expect(r.stdout.split('\n').some(workflowCommand), format).toBe(false);
      const parsed = JSON.parse(r.stdout);
      const text =
        format === 'json'
          ? parsed.findings[0].name
          : format === 'sarif'
            ? parsed.runs[0].results[0].message.text
            : parsed[0].description;
      expect(text, format).toContain(NAME);
    }
  });

  it('-o yaml: a string with a line break, DEL or C1 is one double-quoted line; it parses back exactly', async () => {
    const file = manifest();
    const r = await runCli(['analyze', file, '-o', 'yaml']);
    expect(r.code).toBe(79);
    // YAML 1.2 forbids DEL and C1 unescaped; a YAML 1.1 reader takes NEL and U+2028/9 for line breaks
    expect(/[\u007f-\u009f\u2028\u2029]/.test(r.stdout)).toBe(false);
    expect(r.stdout.split('\n').some(workflowCommand)).toBe(false);
    expect(r.stdout).toContain(
      '    name: "x\\n::error file=evil.yaml::pwned\\u001b[2J\\r\\t\\u0000\\u007f\\u0085\\u009b[31m\\u2028\\u2029end"\n',
    );
    const parsed = parseYaml(r.stdout);
    expect(parsed.findings[0].name).toBe(NAME);
    expect(parsed.findings[1].message).toBe(
      `one or more host [a] defined in VirtualService shop/${NAME} not found in Gateway shop/nogw.`,
    );
  });

  it('-o yaml: strings without those characters are printed as the yaml library prints them', async () => {
    const report = { a: 'plain', b: 'x: "y"', c: "it's", d: 'tab\there', e: 'esc\u001b', f: '' };
    expect(whole(await yamlChunks(report))).toBe(
      `a: plain\nb: 'x: "y"'\nc: it's\nd: tab\there\ne: "esc\\e"\nf: ""\n`,
    );
  });

  it('-o junit: well-formed XML whose attributes keep newlines; failure text is one line per finding', async () => {
    const file = manifest();
    const r = await runCli(['analyze', file, '-o', 'junit']);
    expect(r.code).toBe(79);
    const result = await validateXML({
      xml: [{ fileName: 'report.xml', contents: r.stdout }],
      normalization: 'c14n',
    });
    expect(result.errors).toEqual([]);
    // what an XML reader gets: the newline of the name (a raw one would be read as a space); ESC, which
    // XML cannot carry at all, as U+FFFD
    expect(result.normalized).toContain(
      `<testcase classname="virtualservice.GatewayAnalyzer" file="${file}" name="VirtualService shop/x&#xA;::error file=evil.yaml::pwned\ufffd[2J&#xD;&#x9;\ufffd\u007f\u0085\u009b[31m\u2028\u2029end">`,
    );
    const failure = /<failure [^>]*>([^<]*)<\/failure>/.exec(r.stdout)![1]!;
    expect(failure).toBe(
      `Error [IST0101] (VirtualService shop/${SHOWN} ${file}:8) Referenced gateway not found: &quot;nogw&quot;`,
    );
    expect(r.stdout.split('\n').some(workflowCommand)).toBe(false);
  });

  it('-o github: the workflow commands stay one a line (% escapes, as the runner reads them); no control character reaches the log', async () => {
    const file = manifest();
    const r = await runCli(['analyze', file, '-o', 'github']);
    const lines = r.stdout.trimEnd().split('\n');
    expect(lines).toHaveLength(2);
    // the title is one line: the name as the text report shows it; the message keeps a line break as the
    // runner's %0A (the annotation shows it) and a tab, every other control character escaped
    const title = `IST0101 VirtualService shop/${SHOWN.replace(/:/g, '%3A')}`;
    expect(lines[0]).toBe(
      `::error file=${file},line=8,col=14,title=${title}::[IST0101] Referenced gateway not found: "nogw"`,
    );
    const inMessage = NAME.replace(/[^\n\t]/gu, (c) => escapeControl(c)).replace(/\n/g, '%0A');
    expect(lines[1]).toContain(`defined in VirtualService shop/${inMessage} not found`);
    expect(r.stdout).not.toMatch(/[\u0000-\u0008\u000b-\u001f\u007f-\u009f\u2028\u2029]/);
    expect(lines.filter(workflowCommand)).toHaveLength(2);
  });
});
