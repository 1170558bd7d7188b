/**
 * mesh analyze where CI users are: JUnit XML and GitLab Code Quality reports (validated against the
 * formats' schemas), the analyzer list as JSON, declared external objects, skipped analyzers in the
 * report, the GitHub Action's step script and the pre-commit hook, run on a sample repository.
 */
import { spawnSync } from 'node:child_process';
import {
  cpSync,
  existsSync,
  mkdtempSync,
  readFileSync,
  symlinkSync,
  writeFileSync,
  mkdirSync,
} from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import AjvModule from 'ajv';
import { parse as parseYaml } from 'yaml';
import { validateXML } from 'xmllint-wasm';
import { describe, expect, it } from 'vitest';
import { mesh, ROOT } from './helpers.js';

const CI = join(ROOT, 'test/fixtures/ci');
const REPO = 'test/fixtures/ci/repo';
const shop = `${REPO}/k8s/shop.yaml`;

/** A copy of the sample repository in a temporary folder. */
function sampleRepo(): string {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-ci-'));
  cpSync(join(ROOT, REPO), dir, { recursive: true });
  return dir;
}

describe('mesh analyze -o junit', () => {
  it('validates against the JUnit schema: one suite per analyzer, one case per analyzer × object', async () => {
    const r = mesh(['analyze', REPO, '-o', 'junit']);
    expect(r.code).toBe(79);
    const result = await validateXML({
      xml: [{ fileName: 'report.xml', contents: r.stdout }],
      schema: [{ fileName: 'junit.xsd', contents: readFileSync(join(CI, 'junit.xsd'), 'utf8') }],
    });
    expect(result.errors).toEqual([]);
    expect(result.valid).toBe(true);

    // virtualservice.GatewayAnalyzer reads Gateways and VirtualServices: three objects, one failing
    const suite = /<testsuite name="virtualservice\.GatewayAnalyzer"[^>]*>([\s\S]*?)<\/testsuite>/.exec(
      r.stdout,
    )!;
    expect(suite[0]).toMatch(/tests="3" failures="1" errors="0"/);
    const cases = [...suite[1]!.matchAll(/<testcase name="([^"]*)"/g)].map((m) => m[1]);
    expect(cases.sort()).toEqual([
      'Gateway istio-system/public-gw',
      'VirtualService shop/api',
      'VirtualService shop/web',
    ]);
    expect(suite[1]).toContain(
      `<testcase name="VirtualService shop/web" classname="virtualservice.GatewayAnalyzer" file="${shop}">\n      <failure message="[IST0101] Referenced gateway not found: &quot;public-gw&quot;" type="IST0101">Error [IST0101] (VirtualService shop/web ${shop}:41) Referenced gateway not found: &quot;public-gw&quot;</failure>\n      <system-out>Warning [IST0132]`,
    );
    // an analyzer without its required kinds is a skipped case with the reason
    expect(r.stdout).toMatch(
      /<testsuite name="injection\.Analyzer" tests="1" failures="0" errors="0" skipped="1" time="0\.000">\n {4}<testcase name="injection\.Analyzer" classname="injection\.Analyzer">\n {6}<skipped message="no Namespace in the inputs"\/>/,
    );
    const totals =
      /<testsuites name="mesh analyze" tests="(\d+)" failures="(\d+)" errors="0" skipped="(\d+)"/.exec(
        r.stdout,
      )!;
    expect(Number(totals[2])).toBe(1);
    expect(Number(totals[3])).toBeGreaterThan(0);
  });

  it('puts findings below the failure threshold in the case output, and parse errors in mesh.Inputs', async () => {
    const r = mesh([
      'analyze',
      shop,
      'test/fixtures/cli/broken.yaml',
      '-o',
      'junit',
      '--failure-threshold',
      'Error',
      '--suppress',
      'IST0101=*',
    ]);
    // IST0132 (a Warning) remains: not a failure, written to system-out
    expect(r.stdout).toMatch(
      /<testcase name="VirtualService shop\/web"[^>]*>\n {6}<system-out>Warning \[IST0132\] \(VirtualService shop\/web [^)]*\) one or more host \[shop\.example\.com\]/,
    );
    expect(r.stdout).toMatch(/<testsuite name="mesh\.Inputs" tests="1" failures="0" errors="1"/);
    expect(r.stdout).toContain('classname="mesh.Inputs" file="test/fixtures/cli/broken.yaml"');
    expect(r.stdout).toMatch(/<error message="YAML syntax error[^"]*" type="ParseError">/);
    expect(r.code).toBe(65);
    const result = await validateXML({
      xml: [{ fileName: 'report.xml', contents: r.stdout }],
      schema: [{ fileName: 'junit.xsd', contents: readFileSync(join(CI, 'junit.xsd'), 'utf8') }],
    });
    expect(result.errors).toEqual([]);
  });
});

describe('mesh analyze -o codeclimate', () => {
  const Ajv = AjvModule.default;
  const validate = new Ajv({ allErrors: true }).compile(
    JSON.parse(readFileSync(join(CI, 'gitlab-codequality.schema.json'), 'utf8')),
  );

  it('validates against the GitLab Code Quality format, with fingerprints that survive moved lines', () => {
    const r = mesh(['analyze', REPO, '-o', 'codeclimate']);
    expect(r.code).toBe(79);
    const issues = JSON.parse(r.stdout);
    expect(validate(issues), JSON.stringify(validate.errors)).toBe(true);
    expect(issues.map((i: any) => [i.check_name, i.severity, i.location.path])).toEqual([
      ['IST0101', 'critical', shop],
      ['IST0132', 'major', shop],
    ]);
    expect(issues[0].description).toBe(
      '[IST0101] VirtualService shop/web: Referenced gateway not found: "public-gw"',
    );
    expect(new Set(issues.map((i: any) => i.fingerprint)).size).toBe(issues.length);

    // the same problems three lines further down keep their fingerprints; only the lines move
    const inRepo = (repo: string) =>
      JSON.parse(
        spawnSync(
          process.execPath,
          [join(ROOT, 'bin/mesh.js'), 'analyze', 'k8s/shop.yaml', '-o', 'codeclimate'],
          {
            cwd: repo,
            encoding: 'utf8',
          },
        ).stdout,
      );
    const before = inRepo(sampleRepo());
    const edited = sampleRepo();
    const file = join(edited, 'k8s/shop.yaml');
    writeFileSync(file, `# one\n# two\n# three\n${readFileSync(file, 'utf8')}`);
    const after = inRepo(edited);
    expect(after.map((i: any) => i.fingerprint)).toEqual(before.map((i: any) => i.fingerprint));
    expect(after.map((i: any) => i.location.lines.begin)).toEqual(
      before.map((i: any) => i.location.lines.begin + 3),
    );
  });

  it('reports unparsable input as a blocker and an empty array when there is nothing to say', () => {
    const broken = JSON.parse(mesh(['analyze', 'test/fixtures/cli/broken.yaml', '-o', 'codeclimate']).stdout);
    expect(validate(broken), JSON.stringify(validate.errors)).toBe(true);
    expect(broken.find((i: any) => i.check_name === 'mesh.ParseError')).toMatchObject({
      severity: 'blocker',
      location: { path: 'test/fixtures/cli/broken.yaml' },
    });
    // a path that does not exist has the name -o github gives it (it was one more mesh.ParseError)
    const missing = mesh(['analyze', 'no/such.yaml', '-o', 'codeclimate']);
    expect(missing.code).toBe(66);
    expect(JSON.parse(missing.stdout)).toMatchObject([
      { check_name: 'mesh.UnreadableInput', description: 'no such file or directory', severity: 'blocker' },
    ]);
    const junit = mesh(['analyze', 'no/such.yaml', '-o', 'junit']).stdout;
    expect(junit).toContain(
      '<error message="no such file or directory" type="UnreadableInput">no/such.yaml: no such file or directory</error>',
    );
    const clean = mesh(['analyze', `${REPO}/k8s/gateway.yaml`, '-o', 'codeclimate']);
    expect(clean.code).toBe(0);
    expect(JSON.parse(clean.stdout)).toEqual([]);
  });
});

describe('gateway references and declared external objects', () => {
  it('reports a gateway named by a short name that lives in istio-system, by default', () => {
    const r = mesh(['analyze', REPO]);
    expect(r.code).toBe(79);
    expect(r.stdout.split('\n').filter(Boolean)).toEqual([
      `Error [IST0101] (VirtualService shop/web ${shop}:41) Referenced gateway not found: "public-gw"`,
      `Warning [IST0132] (VirtualService shop/web ${shop}:41) one or more host [shop.example.com] defined in VirtualService shop/web not found in Gateway shop/public-gw.`,
    ]);
  });

  it('takes --external and --external-file declarations as existing objects', () => {
    // shop.yaml alone: neither gateway is in the inputs
    expect(mesh(['analyze', shop]).code).toBe(79);
    const both = ['--external', 'Gateway shop/public-gw', '--external', 'Gateway istio-system/public-gw'];
    expect(mesh(['analyze', shop, ...both]).code).toBe(0);
    const dir = sampleRepo();
    const list = join(dir, 'external.txt');
    writeFileSync(
      list,
      '# owned by the platform team\nGateway shop/*   # every gateway there\n\ngateway istio-system/public-*\n',
    );
    const r = mesh(['analyze', shop, '--external-file', list]);
    expect(r.code).toBe(0);
    // a pattern for istio-system does not cover the reference that resolves to shop
    const one = mesh(['analyze', shop, '--external', 'Gateway istio-system/*']);
    expect(one.code).toBe(79);
    expect(one.stdout).toContain('Referenced gateway not found: "public-gw"');
    expect(one.stdout).not.toContain('VirtualService shop/api');
  });

  it('rejects a malformed declaration as a usage error naming it', () => {
    const bad = mesh(['analyze', shop, '--external', 'Gateway']);
    expect(bad.code).toBe(64);
    expect(bad.stderr).toMatch(/^Error: invalid --external "Gateway"/m);
    const dir = sampleRepo();
    const list = join(dir, 'external.txt');
    writeFileSync(list, 'Gateway shop/web\nnot/a valid/line here\n');
    const r = mesh(['analyze', shop, '--external-file', list]);
    expect(r.code).toBe(64);
    expect(r.stderr).toContain(`Error: ${list}:2: invalid external object "not/a valid/line here"`);
    expect(mesh(['analyze', shop, '--external-file', join(dir, 'missing.txt')]).code).toBe(64);
  });
});

describe('skipped analyzers and the analyzer list', () => {
  it('counts and names skipped analyzers in the JSON report and lists them under -v', () => {
    const report = JSON.parse(mesh(['analyze', shop, '-o', 'json']).stdout);
    expect(report.skippedAnalyzers).toContainEqual({
      analyzer: 'injection.Analyzer',
      reason: 'no Namespace in the inputs',
    });
    expect(report.summary.skippedAnalyzers).toBe(report.skippedAnalyzers.length);
    expect(report.summary.analyzers + report.summary.skippedAnalyzers).toBe(
      JSON.parse(mesh(['analyze', '--list-analyzers', '-o', 'json']).stdout).analyzers.filter(
        (a: any) => !a.optIn,
      ).length,
    );
    const verbose = mesh(['analyze', shop, '-v']).stderr;
    expect(verbose).toContain('Skipped analyzers:\n');
    expect(verbose).toContain('\tinjection.Analyzer (no Namespace in the inputs)\n');
  });

  it('prints the analyzers with their inputs and codes as JSON (and YAML); other formats are usage errors', () => {
    const r = mesh(['analyze', '--list-analyzers', '-o', 'json']);
    expect(r.code).toBe(0);
    const list = JSON.parse(r.stdout);
    expect(list).toMatchObject({ apiVersion: 'mesh/v1', kind: 'AnalyzerList' });
    expect(list.analyzers.find((a: any) => a.name === 'virtualservice.GatewayAnalyzer')).toEqual({
      name: 'virtualservice.GatewayAnalyzer',
      description: 'Checks that the gateways a VirtualService names exist and serve its hosts',
      inputs: [
        'networking.istio.io/Gateway',
        'gateway.networking.k8s.io/Gateway',
        'networking.istio.io/VirtualService',
      ],
      requires: [],
      codes: ['IST0101', 'IST0132', 'IST0165'],
      optIn: false,
    });
    expect(
      list.analyzers.find((a: any) => a.name === 'schema.ValidationAnalyzer.VirtualService').codes,
    ).toEqual(['IST0106', 'IST0130', 'IST0131', 'IST0133']);
    expect(list.analyzers.find((a: any) => a.name === 'annotations.AlphaAnalyzer').optIn).toBe(true);
    // each kind once (annotations.K8sAnalyzer listed Pod and Deployment twice)
    for (const a of list.analyzers) expect(a.inputs).toEqual([...new Set(a.inputs)]);
    expect(list.analyzers.find((a: any) => a.name === 'annotations.K8sAnalyzer').inputs).toContain(
      'core/Pod',
    );
    expect(parseYaml(mesh(['analyze', '-L', '-o', 'yaml']).stdout)).toEqual(list);
    expect(mesh(['analyze', '-L', '-o', 'sarif']).code).toBe(64);
  });
});

describe('mesh analyze --report FORMAT:FILE', () => {
  it('writes each report from the same run, as -o would print it, beside the stdout output', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-report-'));
    const files = { sarif: 'a.sarif', junit: 'b.xml', json: 'c.json', codeclimate: 'd.json', log: 'e.txt' };
    const reports = Object.entries(files).flatMap(([f, name]) => ['--report', `${f}:${join(dir, name)}`]);
    const r = mesh(['analyze', REPO, '-o', 'github', ...reports]);
    expect(r.code).toBe(79);
    expect(r.stdout).toBe(mesh(['analyze', REPO, '-o', 'github']).stdout);
    for (const [format, name] of Object.entries(files)) {
      const written = readFileSync(join(dir, name), 'utf8');
      const printed = mesh(['analyze', REPO, '-o', format]).stdout;
      // (JUnit carries the run's timings)
      const untimed = (x: string) => (format === 'junit' ? x.replace(/ time="[0-9.]+"/g, '') : x);
      expect(untimed(written), format).toBe(untimed(printed));
    }
    // no colour in a file, even when the terminal gets colour
    expect(readFileSync(join(dir, files.log), 'utf8')).not.toContain('\u001b[');
  });

  it('refuses a malformed value, a file named twice and flags with no report, before analyzing', () => {
    for (const [args, message] of [
      [
        ['--report', 'sarif'],
        'Error: invalid --report "sarif": FORMAT:FILE, with FORMAT one of log, json, yaml, sarif, github, junit, codeclimate',
      ],
      [['--report', 'xml:r.xml'], 'Error: invalid --report "xml:r.xml": FORMAT:FILE'],
      [['--report', 'sarif:-'], 'Error: invalid --report "sarif:-": - is stdout, whose format -o sets'],
      [['--report', 'sarif:r', '--report', 'json:r'], 'Error: --report names r twice'],
      // one file spelled two ways: the second report silently replaced the first
      [['--report', 'sarif:r', '--report', 'json:./r'], 'Error: --report names r twice (as r and ./r)'],
      [
        ['--report', `sarif:${join(ROOT, 'x.sarif')}`, '--report', 'junit:x.sarif'],
        `Error: --report names ${join(ROOT, 'x.sarif')} twice (as ${join(ROOT, 'x.sarif')} and x.sarif)`,
      ],
      [
        ['--report', 'json:r', '--write-baseline', 'b.json'],
        'Error: --report cannot be combined with --write-baseline',
      ],
      [['-L', '--report', 'json:r'], 'Error: --report cannot be combined with --list-analyzers'],
    ] as const) {
      const r = mesh(['analyze', REPO, ...args]);
      expect(r.code, args.join(' ')).toBe(64);
      expect(r.stderr, args.join(' ')).toContain(message);
      expect(r.stdout, args.join(' ')).toBe('');
    }
  });

  it('names a report it cannot write, still writes the others and stdout, and fails the run (exit 1)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-report-'));
    const r = mesh([
      'analyze',
      REPO,
      '-o',
      'json',
      '--report',
      `sarif:${join(dir, 'missing-dir', 'a.sarif')}`,
      '--report',
      `sarif:${join(dir, 'b.sarif')}`,
    ]);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      `Error: --report sarif: cannot write ${join(dir, 'missing-dir', 'a.sarif')}: no such file or directory`,
    );
    expect(JSON.parse(readFileSync(join(dir, 'b.sarif'), 'utf8')).runs[0].results).toHaveLength(2);
    expect(JSON.parse(r.stdout).summary.total).toBe(2);
  });
});

describe('GitHub Action', () => {
  const action = parseYaml(readFileSync(join(ROOT, 'action.yml'), 'utf8'));
  const step = action.runs.steps.find((s: any) => s.id === 'analyze');

  it('passes every input to its step script', () => {
    expect(action.runs.using).toBe('composite');
    expect(step.run).toBe('node "${{ github.action_path }}/scripts/github-action.mjs"');
    for (const name of Object.keys(action.inputs))
      expect(step.env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`]).toBe(`\${{ inputs.${name} }}`);
  });

  /** Runs the step script as the runner does: the inputs' defaults in the environment, in the workspace. */
  function runStep(workspace: string, inputs: Record<string, string>) {
    const env: Record<string, string> = { ...process.env } as Record<string, string>;
    for (const [name, spec] of Object.entries<any>(action.inputs))
      env[`INPUT_${name.toUpperCase().replace(/-/g, '_')}`] = inputs[name] ?? String(spec.default ?? '');
    env.GITHUB_OUTPUT = join(workspace, 'github-output');
    env.GITHUB_STEP_SUMMARY = join(workspace, 'step-summary');
    env.NO_COLOR = '1';
    const r = spawnSync(process.execPath, [join(ROOT, 'scripts/github-action.mjs')], {
      cwd: workspace,
      env,
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('writes SARIF, annotates the lines, sets its outputs and fails on findings', () => {
    const dir = sampleRepo();
    const r = runStep(dir, {});
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(
      '::error file=k8s/shop.yaml,line=41,col=7,title=IST0101 VirtualService shop/web::[IST0101] Referenced gateway not found: "public-gw"',
    );
    const sarif = JSON.parse(readFileSync(join(dir, 'mesh-analyze.sarif'), 'utf8'));
    expect(sarif.runs[0].results.map((x: any) => x.ruleId)).toEqual(['IST0101', 'IST0132']);
    expect(sarif.runs[0].results[0].locations[0].physicalLocation.artifactLocation.uri).toBe('k8s/shop.yaml');
    expect(readFileSync(join(dir, 'github-output'), 'utf8')).toBe(
      'sarif-file=mesh-analyze.sarif\nexit-code=79\n',
    );
    expect(readFileSync(join(dir, 'step-summary'), 'utf8')).toContain('1 error(s), 1 warning(s), 0 info');
  });

  it('honours its inputs: paths, extra flags, SARIF file and failure threshold', () => {
    const dir = sampleRepo();
    const usage = runStep(dir, { paths: 'k8s/gateway.yaml\nk8s/shop.yaml', args: '--external Gateway' });
    expect(usage.code).toBe(64);
    expect(usage.stderr).toContain('invalid --external "Gateway"');
    expect(existsSync(join(dir, 'mesh-analyze.sarif'))).toBe(false);
    const r = runStep(dir, {
      paths: 'k8s',
      args: '--suppress IST0101=*',
      'sarif-file': 'report.sarif',
      'failure-threshold': 'Warning',
    });
    expect(r.code).toBe(79);
    expect(JSON.parse(readFileSync(join(dir, 'report.sarif'), 'utf8')).runs[0].results).toHaveLength(1);
    const clean = runStep(dir, { paths: 'k8s/gateway.yaml' });
    expect(clean.code).toBe(0);
    expect(clean.stdout).toBe('');
  });

  it('analyzes once: each warning of the run is in the log once', () => {
    const dir = sampleRepo();
    writeFileSync(join(dir, 'k8s', 'broken.yaml'), 'kind: [\n');
    const r = runStep(dir, { paths: 'k8s' });
    expect(r.code).toBe(79);
    expect(r.stderr.split('\n').filter((l) => l.includes('broken.yaml'))).toHaveLength(1);
    expect(r.stdout).toContain('title=mesh.ParseError');
  });

  it('sets exit-code, and no sarif-file, when mesh stops on a usage error or a runtime failure', () => {
    for (const [args, code] of [
      ['--external Gateway', 64],
      ['--use-kube --kubeconfig /nonexistent/kubeconfig', 1],
    ] as const) {
      const dir = sampleRepo();
      const r = runStep(dir, { paths: 'k8s', args });
      expect(r.code, args).toBe(code);
      expect(existsSync(join(dir, 'mesh-analyze.sarif')), args).toBe(false);
      expect(readFileSync(join(dir, 'github-output'), 'utf8'), args).toBe(`exit-code=${code}\n`);
    }
  });
});

describe('pre-commit hook', () => {
  const hooks = parseYaml(readFileSync(join(ROOT, '.pre-commit-hooks.yaml'), 'utf8'));
  const hook = hooks.find((h: any) => h.id === 'mesh-analyze');

  /**
   * Runs the hook's entry as pre-commit does after installing the package: `entry args…` in the
   * repository root, with the package's `mesh` binary on the PATH (filenames are not passed).
   */
  function runHook(repo: string) {
    const bin = mkdtempSync(join(tmpdir(), 'mesh-bin-'));
    symlinkSync(join(ROOT, 'bin/mesh.js'), join(bin, 'mesh'));
    const [command, ...entryArgs] = hook.entry.split(' ');
    expect(command).toBe('mesh');
    const r = spawnSync(join(bin, command), [...entryArgs, ...hook.args], {
      cwd: repo,
      env: { ...process.env, NO_COLOR: '1', PATH: `${bin}:${process.env.PATH}` },
      encoding: 'utf8',
    });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  }

  it('is defined for YAML and JSON files, on the whole repository, by the package binary', () => {
    expect(hook).toMatchObject({ language: 'node', pass_filenames: false, args: ['.'] });
    const files = new RegExp(hook.files);
    expect(['k8s/app.yaml', 'a.yml', 'b.json'].every((f) => files.test(f))).toBe(true);
    expect(files.test('README.md')).toBe(false);
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    expect(pkg.bin.mesh).toBe('bin/mesh.js');
    // pre-commit installs the hook with npm pack: the bundle must be built then
    expect(pkg.scripts.prepack).toMatch(/npm run build/);
  });

  it('fails a commit of the sample repository with the mistake, passes once it is fixed', () => {
    const repo = sampleRepo();
    spawnSync('git', ['init', '-q'], { cwd: repo });
    const r = runHook(repo);
    expect(r.code).toBe(79);
    expect(r.stdout).toContain(
      'Error [IST0101] (VirtualService shop/web k8s/shop.yaml:41) Referenced gateway not found: "public-gw"',
    );
    const file = join(repo, 'k8s/shop.yaml');
    writeFileSync(file, readFileSync(file, 'utf8').replace('- public-gw', '- istio-system/public-gw'));
    mkdirSync(join(repo, 'node_modules/dep'), { recursive: true });
    writeFileSync(join(repo, 'node_modules/dep/bad.yaml'), 'kind: VirtualService\n: :\n');
    const fixed = runHook(repo);
    expect(fixed.stderr).toContain('No validation issues found when analyzing .');
    expect(fixed.code).toBe(0);
  });
});
