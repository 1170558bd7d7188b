import { join } from 'node:path';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { describe, expect, it } from 'vitest';
import { mesh, FIX, ROOT } from './helpers.js';
import { sarifErrors } from '../../support/sarif.js';

const subset = join('test/fixtures/cli', 'vs-bad-subset.yaml');

describe('mesh analyze (CLI)', () => {
  it('prints istioctl-style lines with the field line and exits 79 on errors', () => {
    const r = mesh(['analyze', subset]);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(
      `Error [IST0101] (VirtualService shop/reviews ${subset}:14) Referenced host+subset in destinationrule not found: "reviews+v9"`,
    );
    expect(r.stderr).toContain('Error: Analyzers found issues');
  });

  it('honours --failure-threshold and --output-threshold independently', () => {
    const r = mesh(['analyze', subset, '--output-threshold', 'Error', '--failure-threshold', 'Info']);
    expect(r.code).toBe(79);
    expect(mesh(['analyze', subset, '--suppress', 'IST0101=VirtualService shop/*']).code).toBe(0);
  });

  it('uses the same exit codes in every output format', () => {
    for (const o of ['json', 'yaml', 'sarif', 'github'])
      expect(mesh(['analyze', subset, '-o', o]).code, o).toBe(79);
  });

  it('writes a versioned JSON report with field paths, lines and docs links', () => {
    const r = mesh(['analyze', subset, '-o', 'json']);
    const report = JSON.parse(r.stdout);
    expect(report).toMatchObject({ apiVersion: 'mesh/v1', kind: 'AnalysisReport', version: 1 });
    const f = report.findings.find((x: any) => x.code === 'IST0101');
    expect(f).toMatchObject({
      level: 'Error',
      origin: 'VirtualService shop/reviews',
      kind: 'VirtualService',
      namespace: 'shop',
      name: 'reviews',
      file: subset,
      line: 14,
      path: 'spec.http[0].route[0].destination.subset',
    });
    expect(f.documentationUrl).toMatch(/ist0101/);
    expect(report.summary).toMatchObject({ errors: 1, files: 1, resources: 2, exitCode: 79 });
  });

  it('emits SARIF 2.1.0 that validates against the official schema', () => {
    const r = mesh(['analyze', subset, '-o', 'sarif']);
    const log = JSON.parse(r.stdout);
    expect(sarifErrors(log)).toEqual([]);
    const result = log.runs[0].results[0];
    expect(result).toMatchObject({ ruleId: 'IST0101', level: 'error' });
    expect(result.locations[0].physicalLocation.region).toEqual({ startLine: 14, startColumn: 13 });
    expect(
      log.runs[0].tool.driver.rules.find((x: any) => x.id === 'IST0101').help.text.length,
    ).toBeGreaterThan(20);
  });

  // an absolute path was written as it is ("/tmp/…"), a reference each reader resolves against its own base
  it('names a file given by an absolute path with a file: URI in SARIF, a relative one relative', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh sarif#'));
    const file = join(dir, 'v s.yaml');
    writeFileSync(
      file,
      'apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: v}\nspec: {hosts: [a], gateways: [nogw], http: [{route: [{destination: {host: a}}]}]}\n',
    );
    const uris = (paths: string[]) => {
      const log = JSON.parse(mesh(['analyze', ...paths, '-o', 'sarif']).stdout);
      expect(sarifErrors(log)).toEqual([]);
      return [...log.runs[0].results, ...log.runs[0].invocations[0].toolExecutionNotifications].map(
        (x: any) => x.locations[0].physicalLocation.artifactLocation.uri,
      );
    };
    const url = `file://${dir.replace(/ /g, '%20').replace(/#/g, '%23')}`;
    expect(uris([file, join(dir, 'missing.yaml')])).toEqual([
      `${url}/v%20s.yaml`,
      `${url}/v%20s.yaml`,
      `${url}/missing.yaml`,
    ]);
    expect(uris([subset])).toEqual(['test/fixtures/cli/vs-bad-subset.yaml']);
  });

  it('emits SARIF with an empty results array when there is nothing to say', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-cli-'));
    writeFileSync(
      join(dir, 'ok.yaml'),
      'apiVersion: v1\nkind: ConfigMap\nmetadata: {name: x, namespace: default}\n',
    );
    const log = JSON.parse(mesh(['analyze', dir, '-o', 'sarif']).stdout);
    expect(log.runs[0].results).toEqual([]);
  });

  it('prints each distinct line once, as istioctl dedupes its lines: two routes on one line naming one missing host', () => {
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-dup-')), 'vs.yaml');
    writeFileSync(
      file,
      [
        'apiVersion: v1',
        'kind: Service',
        'metadata: {name: web, namespace: shop}',
        'spec: {ports: [{name: http, port: 80}]}',
        '---',
        'apiVersion: networking.istio.io/v1',
        'kind: VirtualService',
        'metadata: {name: web, namespace: shop}',
        'spec:',
        '  hosts: [web]',
        '  tcp:',
        '  - route: [{destination: {host: ghost}, weight: 50}, {destination: {host: ghost}, weight: 50}]',
        '',
      ].join('\n'),
    );
    const log = mesh(['analyze', file]);
    expect(log.code).toBe(79);
    expect(log.stdout.trim().split('\n')).toEqual([
      `Error [IST0101] (VirtualService shop/web ${file}:12) Referenced host not found: "ghost"`,
    ]);
    // the report formats keep both findings, told apart by column and field path
    const json = JSON.parse(mesh(['analyze', file, '-o', 'json']).stdout);
    expect(json.findings.map((f: any) => [f.line, f.path])).toEqual([
      [12, 'spec.tcp[0].route[0].destination.host'],
      [12, 'spec.tcp[0].route[1].destination.host'],
    ]);
    expect(mesh(['analyze', file, '-o', 'github']).stdout.trim().split('\n')).toHaveLength(2);
  });

  it('prints GitHub workflow annotations', () => {
    const r = mesh(['analyze', subset, '-o', 'github']);
    expect(r.stdout).toMatch(
      new RegExp(
        `^::error file=${subset.replace(/\//g, '\\/')},line=14,col=13,title=IST0101 VirtualService shop/reviews::\\[IST0101\\]`,
        'm',
      ),
    );
  });

  it('annotates unparsable and unreadable inputs for GitHub too, not only on stderr', () => {
    const broken = join(FIX, 'broken.yaml');
    const r = mesh(['analyze', broken, subset, 'no/such.yaml', '-o', 'github']);
    expect(r.code).toBe(79);
    const lines = r.stdout.trim().split('\n');
    expect(lines.filter((l) => l.includes('title=IST'))).not.toHaveLength(0);
    expect(lines.filter((l) => l.includes('title=mesh.'))).toEqual([
      '::error file=no/such.yaml,title=mesh.UnreadableInput::no such file or directory',
      `::error file=${broken},line=5,col=19,title=mesh.ParseError::YAML syntax error: ${/broken\.yaml:5:19: YAML syntax error: (.*)/.exec(r.stderr)![1]}`,
    ]);
    // stdin is no file of the repository: the place goes in the text
    const s = mesh(['analyze', '-', '-o', 'github'], { input: 'a: [\n' });
    expect(s.code).toBe(65);
    expect(s.stdout).toMatch(/^::error title=mesh\.ParseError::-:2: YAML syntax error: [^\n]+\n$/);
  });

  it('reports parse errors on stderr with file:line:col, still analyzes the rest, exits 65', () => {
    const r = mesh([
      'analyze',
      join(FIX, 'broken.yaml'),
      join(FIX, 'unknown-istio-kind.yaml'),
      '--failure-threshold',
      'Error',
    ]);
    expect(r.stderr).toMatch(/error: .*broken\.yaml:5:19: YAML syntax error/);
    expect(r.stdout).toContain('Warning [MSH1006] (VirtualService default/typo');
    expect(r.code).toBe(65);
    expect(mesh(['analyze', join(FIX, 'broken.yaml'), '--ignore-unknown']).code).toBe(0);
  });

  it('reports an unquoted label value as an error (exit 79) and still analyzes the object (istioctl skips it, exit 65)', () => {
    const text =
      'apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: web\n  namespace: shop\n  labels: {version: 2}\n' +
      '  annotations: {sidecar.istio.io/proxyCPU: 100m}\nspec:\n  selector: {matchLabels: {app: web}}\n' +
      '  template:\n    metadata: {labels: {app: web}}\n    spec: {containers: [{name: web, image: web}]}\n';
    const r = mesh(['analyze', '-', '-o', 'json'], { input: text });
    expect(r.code).toBe(79);
    const report = JSON.parse(r.stdout);
    expect(report.findings.map((f: any) => [f.code, f.level, f.line, f.path])).toEqual([
      ['MSH1007', 'Error', 6, 'metadata.labels.version'],
      // the object is still analyzed: its other mistakes are reported too
      ['IST0107', 'Warning', 7, 'metadata.annotations["sidecar.istio.io/proxyCPU"]'],
    ]);
    expect(report.summary.parseErrors).toBe(0);
  });

  it('reads stdin', () => {
    const r = mesh(['analyze', '-'], { input: readFileSync(join(ROOT, subset), 'utf8') });
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('(VirtualService shop/reviews -:14)');
  });

  // stdin named twice is read once: it said "analyzing 2 paths", and one "-" said "analyzing -"
  it('names stdin in words, once however often it is named; a file named twice is one path', () => {
    const clean = 'apiVersion: v1\nkind: Service\nmetadata: {name: a}\n';
    for (const args of [['-'], ['-', '-']])
      expect(mesh(['analyze', ...args], { input: clean })).toMatchObject({
        code: 0,
        stderr: '✔ No validation issues found when analyzing standard input.\n',
      });
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-twice-')), 'svc.yaml');
    writeFileSync(file, clean);
    expect(mesh(['analyze', file, file]).stderr).toBe(
      `✔ No validation issues found when analyzing ${file}.\n`,
    );
  });

  it('keeps -A documents namespace-less and filters -n with a note about hidden findings', () => {
    const text = readFileSync(join(ROOT, subset), 'utf8').replace(/ {2}namespace: shop\n/g, '');
    expect(mesh(['analyze', '-', '-A'], { input: text }).stdout).toContain('(VirtualService reviews -:');
    expect(mesh(['analyze', '-'], { input: text }).stdout).toContain('(VirtualService default/reviews -:');
    const other = mesh(['analyze', subset, '-n', 'default']);
    expect(other.code).toBe(0);
    expect(other.stderr).toContain('1 finding(s) on objects outside namespace default not shown');
  });

  it('honours the suppression annotation with spaces around codes', () => {
    const text = readFileSync(join(ROOT, subset), 'utf8').replace(
      '  name: reviews\n  namespace: shop\nspec:\n  hosts',
      '  name: reviews\n  namespace: shop\n  annotations:\n    galley.istio.io/analyze-suppress: "IST0002, IST0101"\nspec:\n  hosts',
    );
    expect(mesh(['analyze', '-'], { input: text }).code).toBe(0);
  });

  it('accepts the legacy "Kind name.namespace" suppress form and warns about unknown codes', () => {
    expect(mesh(['analyze', subset, '-S', 'IST0101=VirtualService reviews.shop']).code).toBe(0);
    expect(mesh(['analyze', subset, '-S', 'IST9999=*']).stderr).toContain(
      "'IST9999' is an unknown message code",
    );
    expect(mesh(['analyze', subset, '-S', 'nonsense']).code).toBe(64);
  });

  it('fails only on findings missing from the baseline', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-baseline-'));
    const baseline = join(dir, 'baseline.json');
    expect(mesh(['analyze', subset, '--write-baseline', baseline]).code).toBe(0);
    expect(mesh(['analyze', subset, '--baseline', baseline]).code).toBe(0);
    const extra = readFileSync(join(ROOT, subset), 'utf8').replace(
      'subset: v9',
      'subset: v7\n        - destination:\n            host: reviews\n            subset: v8',
    );
    const r = mesh(['analyze', '-', '--baseline', baseline, '-o', 'json'], {
      input: extra,
    });
    expect(r.code).toBe(79);
  });

  // Saved by an editor that writes a byte order mark (Windows Notepad), it was refused as "line 1: JSON
  // syntax error: unexpected character", where every other input reads past the mark.
  it('reads a baseline saved with a byte order mark', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-baseline-'));
    const baseline = join(dir, 'baseline.json');
    expect(mesh(['analyze', subset, '--write-baseline', baseline]).code).toBe(0);
    writeFileSync(baseline, `\ufeff${readFileSync(baseline, 'utf8')}`);
    const r = mesh(['analyze', subset, '--baseline', baseline]);
    expect([r.code, r.stderr]).toEqual([
      0,
      `note: 1 finding(s) matched the baseline and do not fail the run\n✔ No validation issues found when analyzing ${subset}.\n`,
    ]);
  });

  // A hand-edited baseline whose findings held a null stopped the run with "Error: Cannot read properties
  // of null (reading 'code')", exit 1; an entry of the wrong shape matched nothing without a word.
  it('a baseline finding that is not an object of strings: exit 64 naming the entry', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-baseline-'));
    const baseline = join(dir, 'baseline.json');
    expect(mesh(['analyze', subset, '--write-baseline', baseline]).code).toBe(0);
    const data = JSON.parse(readFileSync(baseline, 'utf8'));
    for (const [entry, why] of [
      [null, 'null'],
      ['IST0101', 'the string "IST0101"'],
      [{ ...data.findings[0], code: 101 }, 'its code is the number 101'],
      [{ ...data.findings[0], origin: ['x'] }, 'its origin is a list'],
      [{ ...data.findings[0], path: {} }, 'its path is a mapping'],
    ]) {
      const bad = join(dir, 'bad.json');
      writeFileSync(bad, JSON.stringify({ ...data, findings: [...data.findings, entry] }));
      const r = mesh(['analyze', subset, '--baseline', bad]);
      expect([r.code, r.stdout, r.stderr]).toEqual([
        64,
        '',
        `Error: ${bad}: findings[1] is not a baseline finding (${why}; code and origin must be strings)\n`,
      ]);
    }
  });

  // It wrote a baseline without the findings of the inputs it could not read or parse, and exited 0.
  it('--write-baseline writes nothing when an input could not be read (66) or parsed (65)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-wb-'));
    const broken = join(dir, 'broken.yaml');
    writeFileSync(broken, 'a:\n\tb: 1\n');
    const out = join(dir, 'base.json');
    const missing = mesh(['analyze', subset, join(dir, 'typo.yaml'), broken, '--write-baseline', out]);
    expect(missing.code).toBe(66);
    expect(missing.stderr).toContain(
      `Error: baseline ${out} not written: 1 input path(s) could not be read and 1 document(s) could not be parsed, and it would lack their findings`,
    );
    const unparsed = mesh(['analyze', subset, broken, '--write-baseline', out]);
    expect(unparsed.code).toBe(65);
    expect(existsSync(out)).toBe(false);
    expect(mesh(['analyze', subset, '--write-baseline', out]).code).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('treats usage mistakes as exit 64 with a one-line error', () => {
    expect(mesh(['analyze', subset, '--timeout', 'soon']).code).toBe(64);
    expect(mesh(['analyze', subset, '-o', 'xml']).code).toBe(64);
    expect(mesh(['analyze', subset, '--analyzer', 'no.SuchAnalyzer']).code).toBe(64);
    expect(mesh(['analyze', subset, '--failure-threshold', 'Warn']).code).toBe(64);
    const bad = mesh(['analyze', subset, '--meshConfigFile', '/nonexistent/mesh.yaml']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^Error: cannot read mesh config file/m);
  });

  // They said `ENOENT` and `EISDIR`, Node's error codes, where the baseline said "no such file or directory".
  it('a flag file that cannot be read is named with the reason in words, exit 64', () => {
    for (const [flag, what] of [
      ['--meshConfigFile', 'mesh config file'],
      ['--meshNetworksFile', 'mesh networks file'],
      ['--external-file', '--external-file'],
      ['--baseline', 'baseline'],
    ]) {
      for (const [file, why] of [
        ['/nonexistent/mesh.yaml', 'no such file or directory'],
        ['test/fixtures', 'is a directory'],
      ]) {
        const r = mesh(['analyze', subset, flag!, file!]);
        expect([r.code, r.stderr], `${flag} ${file}`).toEqual([
          64,
          `Error: cannot read ${what} ${file}: ${why}\n`,
        ]);
      }
    }
  });

  // Ten lines of aliases (9^10 strings once expanded): mesh analyze ran for minutes and grew past 2 GB,
  // where an input document or kube-inject's mesh config is refused at once.
  it('a mesh config whose YAML aliases expand past a million nodes: exit 65 at once, as in an input', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-bomb-'));
    const lines = ['a0: &a0 [lol, lol, lol, lol, lol, lol, lol, lol, lol]'];
    for (let i = 1; i < 10; i++)
      lines.push(
        `a${i}: &a${i} [${Array(9)
          .fill(`*a${i - 1}`)
          .join(', ')}]`,
      );
    const bare = join(dir, 'mesh.yaml');
    writeFileSync(bare, `${lines.join('\n')}\ndefaultConfig: {proxyMetadata: {X: *a9}}\n`);
    const cm = join(dir, 'istio.yaml');
    writeFileSync(
      cm,
      `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: ${JSON.stringify(readFileSync(bare, 'utf8'))}\n`,
    );
    const refused = '1000000 nodes through YAML aliases; refused';
    expect(mesh(['analyze', subset, '--meshConfigFile', bare])).toMatchObject({
      code: 65,
      stderr: `Error: mesh config file ${bare}: expands to more than ${refused}\n`,
    });
    expect(mesh(['analyze', subset, '--meshConfigFile', cm])).toMatchObject({
      code: 65,
      stderr: `Error: mesh config file ${cm}: data.mesh expands to more than ${refused}\n`,
    });
  }, 30_000);

  // The istio ConfigMap as --meshConfigFile: a data.mesh that was not YAML failed with js-yaml's words
  // alone ("unexpected end of the stream …"), naming neither the file nor the key, exit 1.
  it('a --meshConfigFile ConfigMap whose data.mesh is not a YAML map: exit 65, naming the file and the key', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-cm-'));
    const cm = (mesh: string) => {
      const file = join(dir, `cm-${mesh.length}.yaml`);
      writeFileSync(
        file,
        `apiVersion: v1\nkind: ConfigMap\nmetadata: {name: istio}\ndata:\n  mesh: ${JSON.stringify(mesh)}\n`,
      );
      return file;
    };
    const broken = cm('[unclosed');
    const r = mesh(['analyze', subset, '--meshConfigFile', broken]);
    expect(r.code).toBe(65);
    expect(r.stderr.split('\n')[0]).toBe(
      `Error: mesh config file ${broken}: data.mesh (line 2, column 1 of it): YAML syntax error: unexpected end of the stream within a flow collection`,
    );
    const list = cm('- a\n- b');
    const l = mesh(['analyze', subset, '--meshConfigFile', list]);
    expect({ code: l.code, first: l.stderr.split('\n')[0] }).toEqual({
      code: 65,
      first: `Error: mesh config file ${list}: data.mesh is not a YAML map`,
    });
  });

  it('analyzes the cluster when given no paths, and says so clearly when there is no cluster', () => {
    const home = mkdtempSync(join(tmpdir(), 'mesh-home-'));
    const r = mesh(['analyze'], { env: { KUBECONFIG: '', HOME: home } });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^Error: no kubeconfig found \(looked at .*\.kube\/config\)/m);
    // Files alone never look for a cluster.
    expect(mesh(['analyze', subset], { env: { KUBECONFIG: '', HOME: home } }).code).toBe(79);
  });

  it('lists analyzers', () => {
    const r = mesh(['analyze', '--list-analyzers']);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('* mesh.UnknownIstioKindAnalyzer:');
  });

  it('prints no colour codes when NO_COLOR is set or stdout is not a TTY', () => {
    expect(mesh(['analyze', subset]).stdout).not.toContain('\x1b[');
    expect(mesh(['analyze', subset, '--color']).stdout).toContain('\x1b[1m\x1b[31mError\x1b[39m\x1b[22m');
  });
});
