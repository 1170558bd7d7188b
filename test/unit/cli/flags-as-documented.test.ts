// Flags as the README documents them: completion offers every flag a command accepts (the impersonation
// flags and --kubeclient-timeout are added to each cluster command after it is registered), `pc log`
// spells -i as every other command and istioctl do, and help texts say what a flag takes.
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startEnvoyAdmin } from '../../support/envoy-admin-server.js';

/** The values `mesh __complete words -- <words>` offers (what zsh and fish show). */
async function offers(words: string[]): Promise<string[]> {
  const r = await runCli(['__complete', 'words', '--', ...words]);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  return r.stdout
    .split('\n')
    .filter((l) => l !== '' && !l.startsWith(':'))
    .map((l) => l.split('\t')[0]!);
}

describe('completion offers every flag the command accepts', () => {
  it('the impersonation flags and --kubeclient-timeout, on every command that reads the cluster', async () => {
    for (const words of [
      ['pc', 'cluster', '--'],
      ['proxy-status', '--'],
      ['drift', '--'],
      ['install', '--'],
      ['version', '--'],
      ['analyze', '--'],
    ]) {
      const flags = await offers(words);
      for (const flag of ['--as', '--as-group', '--as-uid', '--kubeclient-timeout'])
        expect(flags, `${words.join(' ')} ${flag}`).toContain(flag);
    }
    // offline-only commands take none
    expect(await offers(['manifest', 'generate', '--'])).not.toContain('--as');
  });

  it('in the bash script too, where --as-group takes a value', async () => {
    const r = await runCli(['completion', 'bash']);
    expect(r.code).toBe(0);
    const spec = r.stdout.split('\n').find((l) => l.startsWith("    'proxy-config cluster')"));
    expect(spec).toMatch(/opts='[^']* --as --as-group --as-uid --kubeclient-timeout[^']*'/);
    expect(spec).toMatch(/valopts='[^']* --as --as-group --as-uid --kubeclient-timeout[^']*'/);
  });

  it('each command gets them once, also when every command is loaded (help, completion)', async () => {
    const help = await runCli(['help', 'analyze']);
    expect([help.code, help.stderr]).toEqual([0, '']);
    expect(help.stdout.match(/--as-group <group>/g)).toHaveLength(1);
    expect((await offers(['pc', 'cluster', '--'])).filter((f) => f === '--as')).toEqual(['--as']);
    const r = await runCli(['pc', 'cluster', '--as-group', 'g', '--file', '/nonexistent/dump.json']);
    expect(r.stderr).toBe('Error: --as-group and --as-uid need --as (the user to impersonate)\n');
    expect(r.code).toBe(64);
  });
});

describe('pc log -i', () => {
  it('is --istioNamespace, as in every other command and istioctl; --istio-namespace is unknown', async () => {
    const help = await runCli(['pc', 'log', '--help']);
    expect(help.stdout).toContain('-i, --istioNamespace <ns>');
    expect(help.stdout).not.toContain('--istio-namespace');
    const admin = await startEnvoyAdmin({});
    try {
      for (const flag of ['--istioNamespace', '-i']) {
        const r = await runCli(['pc', 'log', flag, 'mesh-cp', '--admin-url', admin.url]);
        expect([r.code, r.stderr], flag).toEqual([0, '']);
        expect(r.stdout).toMatch(/^http:\/\/127\.0\.0\.1:\d+:\nactive loggers:\n/);
      }
    } finally {
      await admin.close();
    }
    const old = await runCli(['pc', 'log', '--istio-namespace', 'x', '--admin-url', 'http://127.0.0.1:1']);
    expect(old.code).toBe(64);
    expect(old.stderr).toBe(
      "Error: unknown option '--istio-namespace'\n(Did you mean --istioNamespace?)\nHint: run with --help for usage\n",
    );
  });
});

describe('authz check -f', () => {
  it('says that a dump may be JSON or YAML, as it reads both', async () => {
    const r = await runCli(['authz', 'check', '--help']);
    expect(r.stdout.replace(/\s+/g, ' ')).toContain(
      '-f, --file <dump> Envoy config dump (JSON or YAML) instead of a pod; - reads stdin',
    );
  });
});

describe('-n with -A', () => {
  it('is refused in the same words by analyze, certs, proxy-status and drift, before any cluster is read', async () => {
    // proxy-status and drift said `-A and -n cannot be used together`, not the README's words
    for (const args of [
      ['analyze', 'examples/', '-n', 'shop', '-A'],
      ['certs', '-n', 'shop', '-A'],
      ['proxy-status', '-n', 'shop', '-A'],
      ['drift', '-A', '-n', 'shop'],
    ]) {
      const r = await runCli(args, { KUBECONFIG: '/nonexistent/kubeconfig' });
      expect([r.code, r.stdout, r.stderr], args.join(' ')).toEqual([
        64,
        '',
        'Error: -n/--namespace and -A/--all-namespaces cannot be combined\n',
      ]);
    }
  });
});
