// `mesh precheck` after `istioctl install` (a foreign install: objects mesh did not create), against a real
// kube-apiserver of its own (it installs and removes cluster-scoped objects other files must not see).
// Before: `Status: all good (18 warning(s))`, exit 0, while `mesh install --dry-run` exited 79 with
// "38 in conflict" and `mesh install -y` refused; the hints pointed at `--revision` (still 22 conflicts)
// and at `--force` (which fails on istiod's immutable selector). Now precheck computes install's plan.
import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { startTestbed, type Testbed } from './support/testbed.js';

let tb: Testbed;

beforeAll(async () => {
  // the garbage collector finishes istioctl uninstall's foreground deletes
  tb = await startTestbed({ controllerManager: true });
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

interface Result {
  group: string;
  status: 'ok' | 'warn' | 'fail';
  message: string;
  hint?: string;
}

const mesh = (...args: string[]) => runMesh([...args, '--kubeconfig', tb.kubeconfig]);

async function precheck(...args: string[]) {
  const json = await mesh('precheck', '-o', 'json', ...args);
  const text = await mesh('precheck', ...args);
  expect(text.code).toBe(json.code);
  return { code: json.code, text: text.stdout, results: JSON.parse(json.stdout).results as Result[] };
}
const planNow = async () =>
  JSON.parse((await mesh('precheck', '-o', 'json')).stdout).results.filter(
    (r: Result) => r.group === 'Install plan',
  ) as Result[];
const plan = (results: Result[]) => results.filter((r) => r.group === 'Install plan');

function istioctl(...args: string[]) {
  return spawnSync(join(tb.binDir, 'istioctl'), [...args, '--kubeconfig', tb.kubeconfig], {
    encoding: 'utf8',
    timeout: 120_000,
  });
}

describe('mesh precheck after istioctl install', () => {
  it('a fresh cluster: install would apply its plan (✓)', async () => {
    const r = await precheck();
    expect(plan(r.results)).toEqual([
      {
        group: 'Install plan',
        status: 'ok',
        message: expect.stringMatching(/^install would apply its plan: \d+ to create, /),
      },
    ]);
  });

  it('install would refuse: × naming the objects another tool made, with hints that work', async () => {
    // This testbed runs no pods: istioctl applies everything, then its readiness wait gives up.
    istioctl('install', '-y', '--readiness-timeout', '2s');
    const r = await precheck();
    expect(r.code).toBe(79);
    expect(r.text).not.toContain('Status: all good');
    const [refused, ...more] = plan(r.results);
    expect(more).toEqual([]);
    expect(refused!.status).toBe('fail');
    const m =
      /^install would refuse: (\d+) object\(s\) exist that mesh did not create \(written by istio-operator[^)]*\): CustomResourceDefinition\/\S+, .* and (\d+) more$/.exec(
        refused!.message,
      );
    expect(m, refused!.message).not.toBeNull();
    // --force is no way out here (istiod's Deployment selector is immutable): uninstall istioctl's first
    expect(refused!.hint).toMatch(
      /^mesh takes over only objects it created, and install --force would fail too \(Deployment\/istio-system\/istiod: .*field is immutable\): remove the other tool's install first \(istioctl's: istioctl uninstall --purge -y\), then install$/,
    );
    // The same count install's plan refuses (exit 79), and install itself refuses
    const dry = await mesh('install', '--dry-run');
    expect(dry.code).toBe(79);
    const line = /Plan: .*?(?:, (\d+) in conflict)?(?:, (\d+) to take over)?\.$/m.exec(dry.stdout)!;
    expect(Number(line[1] ?? 0) + Number(line[2] ?? 0)).toBe(Number(m![1]));
    expect((await mesh('install', '--dry-run', '--force')).code).toBe(1);
    // the other hints no longer send the user to --revision or --force alone
    expect(r.text).not.toContain('install a different --revision');
    expect(r.text).not.toContain('use --force if it reports conflicts');

    // Another revision still shares the CRDs and base objects: refused too, but --force works there
    const canary = await precheck('-r', 'canary');
    expect(canary.code).toBe(79);
    expect(plan(canary.results)[0]!.hint).toBe(
      "mesh takes over only objects it created: remove the other tool's install first (istioctl's: istioctl uninstall --purge -y), then install; or install with --force to take them over whole, their fields too (uninstall then deletes them)",
    );
    const forced = await precheck('-r', 'canary', '--force');
    expect(plan(forced.results)).toEqual([
      expect.objectContaining({
        status: 'ok',
        message: expect.stringMatching(/^install --force would apply its plan: .*, \d+ to take over$/),
      }),
    ]);
    expect((await mesh('install', '-r', 'canary', '--dry-run', '--force')).code).toBe(0);
  }, 180_000);

  it('the hint works: after istioctl uninstall --purge, install would apply its plan', async () => {
    const un = istioctl('uninstall', '--purge', '-y');
    expect(un.status, un.stderr).toBe(0);
    // the CRDs go once the API server has removed their custom resources (meanwhile: "being deleted"), which
    // on a loaded machine (the e2e files run in parallel) once took more than 100 s
    let p = await planNow();
    for (const until = Date.now() + 200_000; Date.now() < until && p[0]?.status !== 'ok';) {
      expect(p[0]!.message).toMatch(/^install would fail: .* is being deleted /);
      await new Promise((resolve) => setTimeout(resolve, 1000));
      p = await planNow();
    }
    expect(
      p.map((x) => x.status),
      JSON.stringify(p),
    ).toEqual(['ok']);
    expect((await mesh('install', '--dry-run')).code).toBe(0);
  }, 260_000);
});
