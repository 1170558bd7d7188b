// `mesh upgrade` on a testbed that runs pods (kube-controller-manager, kube-scheduler, a kwok node): the
// version change is shown before anything changes, the plan names the changed images, the Deployments
// roll out to new pods that become ready, and a canary revision leaves the running revision alone.
import { describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { eventually } from './support/kube.js';
import { useNodesTestbed } from './support/nodes.js';

const bed = useNodesTestbed();
const mesh = (...args: string[]) => runMesh([...args, '--kubeconfig', bed.tb.kubeconfig]);

/** Images of the Ready pods of a selector in istio-system. */
const readyImages = async (selector: string) =>
  (await bed.c.core.listNamespacedPod({ namespace: 'istio-system', labelSelector: selector })).items
    .filter(
      (p) =>
        !p.metadata?.deletionTimestamp &&
        p.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'),
    )
    .map((p) => p.spec!.containers[0]!.image)
    .sort();

describe('mesh upgrade', () => {
  it('on an empty cluster says there is nothing to upgrade and installs', async () => {
    const r = await mesh('upgrade', '-y', '--set', 'profile=minimal', '--set', 'tag=1.29.0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('No control plane found in istio-system: upgrade installs 1.29.0');
    expect(r.stderr).toContain('✔ Upgraded 1.29.0 in istio-system');
    expect(await readyImages('app=istiod')).toEqual(['docker.io/istio/pilot:1.29.0']);
  });

  it('shows the version change and the changed images first, then rolls istiod out to ready pods', async () => {
    const plan = await mesh('upgrade', '--dry-run', '--set', 'profile=minimal', '--set', 'tag=1.30.0');
    expect(plan.code, plan.stderr).toBe(0);
    expect(plan.stderr).toContain('Control plane: 1.29.0 → 1.30.0');
    expect(plan.stdout).toMatch(/^~ Deployment\/istio-system\/istiod$/m);
    expect(plan.stdout).toContain(
      '    spec.template.spec.containers[name:discovery].image: "docker.io/istio/pilot:1.29.0" → "docker.io/istio/pilot:1.30.0"',
    );
    expect(await readyImages('app=istiod')).toEqual(['docker.io/istio/pilot:1.29.0']); // nothing changed

    const r = await mesh('upgrade', '-y', '--set', 'profile=minimal', '--set', 'tag=1.30.0');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr.indexOf('Control plane: 1.29.0 → 1.30.0')).toBeLessThan(r.stderr.indexOf('✔ Upgraded'));
    expect(r.stderr).toContain('✔ Upgraded 1.30.0 in istio-system');
    await eventually('istiod rolled out to 1.30.0', async () => {
      const images = await readyImages('app=istiod');
      return images.length === 1 && images[0] === 'docker.io/istio/pilot:1.30.0' ? images : undefined;
    });
    const again = await mesh('upgrade', '-y', '--set', 'profile=minimal', '--set', 'tag=1.30.0');
    expect(again.stderr).toContain('Nothing to change: the cluster already matches.');
  });

  it('a canary revision runs next to the upgraded one and leaves it alone', async () => {
    const r = await mesh('upgrade', '-y', '--set', 'profile=minimal', '--set', 'tag=1.31.0', '-r', '1-31');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).toContain('✔ Upgraded 1.31.0 (revision 1-31) in istio-system');
    await eventually('the canary ready', async () =>
      (await readyImages('app=istiod,istio.io/rev=1-31')).length === 1 ? true : undefined,
    );
    expect(await readyImages('app=istiod,istio.io/rev=1-31')).toEqual(['docker.io/istio/pilot:1.31.0']);
    expect(await readyImages('app=istiod')).toEqual([
      'docker.io/istio/pilot:1.30.0',
      'docker.io/istio/pilot:1.31.0',
    ]);
  });
});
