// `mesh install` and `mesh uninstall` at a real terminal (a pseudo-terminal from util-linux `script`)
// against a testbed of its own with real controllers, scheduler and a kwok node: the confirmation
// prompt, the protected-context guard with its typed name, and the progress spinner; and the same
// commands off a terminal (plain lines, no escape sequences at all). Where a test looks at what install
// shows while it waits, the kwok node is cordoned first, so istiod's pod stays unscheduled until the test
// has seen the wait and uncordons it (kwok runs pods so fast that a Deployment can be ready at the first
// look otherwise).
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { runMeshInPty } from './support/pty.js';
import { useNodesTestbed } from './support/nodes.js';

const bed = useNodesTestbed();
const CONTEXT = 'admin@testbed';
const NS = 'istio-system';

/** Marks the node (un)schedulable, as `kubectl cordon` / `uncordon` do. */
async function cordon(unschedulable: boolean): Promise<void> {
  await bed.c.core.patchNode(
    { name: bed.tb.node!, body: { spec: { unschedulable } } },
    setHeaderOptions('Content-Type', PatchStrategy.MergePatch),
  );
}
afterEach(() => cordon(false));

const minimal = (...more: string[]) => [
  '--kubeconfig',
  bed.tb.kubeconfig,
  '--set',
  'profile=minimal',
  ...more,
];

/** Names of the istiod Deployments in istio-system (what an install of the minimal profile adds). */
const istiods = async () =>
  (await bed.c.apps.listNamespacedDeployment({ namespace: NS, labelSelector: 'app=istiod' })).items
    .map((d) => d.metadata!.name!)
    .sort();

const ESC = '\x1b';
/** SGR sequences: colours and bold (cursor movement and line clearing are other sequences). */
const SGR = /\x1b\[[\d;]*m/;
const SPINNER_FRAME = /[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏]/;

describe('mesh install at a terminal', () => {
  it('without -y asks; "n" changes nothing (exit 1); stdin that is not the terminal is never read for an answer', async () => {
    const run = runMeshInPty(['install', ...minimal()]);
    await run.waitFor(`Apply this plan to context "${CONTEXT}"? [y/N] `);
    expect(run.screen()).toContain(`Context: ${CONTEXT}  Server: ${bed.tb.server}`);
    expect(run.screen()).toContain('+ Deployment/istio-system/istiod');
    run.type('n\r');
    const r = await run.done;
    expect(r.code, r.screen).toBe(1);
    expect(r.screen).toContain('aborted: nothing was changed');
    expect(await istiods()).toEqual([]);

    // stderr is the terminal but stdin is /dev/null: no prompt, refused as off a terminal (exit 64).
    const piped = runMeshInPty(['install', ...minimal()], { stdinFrom: '/dev/null' });
    const p = await piped.done;
    expect(p.code, p.screen).toBe(64);
    expect(p.screen).toContain('refusing without -y (not a terminal)');
    expect(p.screen).not.toContain('[y/N]');

    // Ctrl+C at the prompt aborts the same way.
    const interrupted = runMeshInPty(['install', ...minimal()]);
    await interrupted.waitFor('[y/N] ');
    interrupted.type('\x03');
    const i = await interrupted.done;
    expect(i.code, i.screen).toBe(1);
    expect(i.screen).toContain('aborted (Ctrl+C): nothing was changed');
    expect(await istiods()).toEqual([]);
  });

  it('"y" installs: a spinner per component with what it waits for and the time so far, ✔ lines in colour; stdout untouched', async () => {
    await cordon(true);
    const run = runMeshInPty(['install', ...minimal()]);
    await run.waitFor('[y/N] ');
    run.type('y\r');
    // While waiting, the spinner names the component, the object it waits for and why, and the seconds
    // since the step started keep counting (a second and more, where it started at 0.0s).
    await run.waitFor(
      /Pilot: waiting for Deployment\/istio-system\/istiod \(0\/1 replicas ready;[^\r\n]* pod istiod-[^\r\n]*unschedulable[^\r\n]*\) \([1-9]\d*\.\ds\)/,
    );
    await cordon(false);
    const r = await run.done;
    expect(r.code, r.screen).toBe(0);
    expect(await istiods()).toEqual(['istiod']);
    expect(r.screen).toMatch(/CRDs and namespace: (applying|waiting for)[^\r\n]*\(\d+\.\ds\)/);
    expect(r.screen).toMatch(SPINNER_FRAME);
    // The finished steps stay, with a green ✔.
    expect(r.screen).toMatch(/\x1b\[32m✔\x1b\[39m Pilot: \d+ object\(s\) applied and ready \(\d+\.\ds\)/);
    expect(r.screen).toContain('✔ Installed');
    expect(r.stdout).toBe('');
  });

  it('NO_COLOR at a terminal: the spinner still turns, with no colour', async () => {
    await cordon(true);
    const run = runMeshInPty(['install', '-y', ...minimal('-r', 'nocolor')], { env: { NO_COLOR: '1' } });
    await run.waitFor('Pilot: waiting for Deployment/istio-system/istiod-nocolor');
    await cordon(false);
    const r = await run.done;
    expect(r.code, r.screen).toBe(0);
    expect(r.screen).toMatch(SPINNER_FRAME);
    expect(r.screen).not.toMatch(SGR);
    expect(await istiods()).toEqual(['istiod', 'istiod-nocolor']);
  });

  it('off a terminal: plain progress lines on stderr, no escape sequence anywhere, even with colours allowed', async () => {
    const env = { NO_COLOR: '', FORCE_COLOR: '', TERM: 'xterm-256color' };
    await cordon(true);
    const waiting =
      /^Pilot: waiting for Deployment\/istio-system\/istiod-plain \(0\/1 replicas ready.*\) \(\d+\.\ds\)$/m;
    let released = false;
    const run = await runMesh(['install', '-y', ...minimal('-r', 'plain')], {
      env,
      // Uncordon once mesh has said what it waits for.
      onStderr: (soFar) => {
        if (released || !waiting.test(soFar)) return;
        released = true;
        void cordon(false);
      },
    });
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toMatch(waiting);
    expect(run.stderr).toMatch(/^✔ Pilot: \d+ object\(s\) applied and ready/m);
    expect(run.stderr).not.toContain(ESC);
    expect(run.stdout).toBe('');
    const un = await runMesh(['uninstall', '-y', '-r', 'plain', '--kubeconfig', bed.tb.kubeconfig], { env });
    expect(un.code, un.stderr).toBe(0);
    expect(un.stderr + un.stdout).not.toContain(ESC);
    expect(await istiods()).toEqual(['istiod', 'istiod-nocolor']);
  });
});

describe('a protected context at a terminal', () => {
  it('refuses unless --context names it; a wrong typed name changes nothing; the right name proceeds', async () => {
    const args = ['uninstall', '-r', 'nocolor', '--kubeconfig', bed.tb.kubeconfig];
    const env = { MESH_PROTECTED_CONTEXTS: `other,${CONTEXT}` };
    const implicit = await runMeshInPty(args, { env }).done;
    expect(implicit.code, implicit.screen).toBe(64);
    expect(implicit.screen).toContain(`context "${CONTEXT}" is protected`);
    expect(implicit.screen).not.toContain('Type its name');

    const wrong = runMeshInPty([...args, '--context', CONTEXT], { env });
    await wrong.waitFor(`Context "${CONTEXT}" is protected. Type its name to uninstall it: `);
    wrong.type('admin@other\r');
    const w = await wrong.done;
    expect(w.code, w.screen).toBe(1);
    expect(w.screen).toContain(`aborted: "admin@other" is not "${CONTEXT}"`);
    expect(w.screen).not.toContain('[y/N]');
    expect(await istiods()).toEqual(['istiod', 'istiod-nocolor']);

    // The same protection from the mesh config file; the right name, then the usual confirmation.
    const config = mkdtempSync(join(tmpdir(), 'mesh-config-'));
    mkdirSync(join(config, 'mesh'));
    writeFileSync(join(config, 'mesh', 'config.yaml'), `protectedContexts:\n  - ${CONTEXT}\n`);
    const right = runMeshInPty([...args, '--context', CONTEXT], { env: { XDG_CONFIG_HOME: config } });
    await right.waitFor('Type its name to uninstall it: ');
    right.type(`${CONTEXT}\r`);
    await right.waitFor('[y/N] ');
    expect(right.screen()).toContain('- Deployment/istio-system/istiod-nocolor');
    right.type('y\r');
    const ok = await right.done;
    expect(ok.code, ok.screen).toBe(0);
    // uninstall waits until the objects are gone, under a spinner that ends with a green ✔ line
    expect(ok.screen).toMatch(/✔(\x1b\[\d+m)? Removed 16 object\(s\) of revision nocolor\./);
    expect(ok.screen).not.toContain('Warning:');
    expect(await istiods()).toEqual(['istiod']);
  });
});
