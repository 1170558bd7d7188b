// `mesh install` on a testbed that runs pods: kube-controller-manager (Deployments → ReplicaSets → Pods,
// garbage collection), kube-scheduler and a kwok node (pods Running and Ready). No stand-in: the
// Deployments mesh creates become ready the way they would in a cluster, and uninstall's deletes cascade.
import { PatchStrategy, setHeaderOptions } from '@kubernetes/client-node';
import { describe, expect, it } from 'vitest';
import { runMesh } from './support/mesh-cli.js';
import { eventually } from './support/kube.js';
import { useNodesTestbed } from './support/nodes.js';

const bed = useNodesTestbed();
const mesh = (args: string[]) => runMesh(args);

const readyPods = async (namespace: string, selector: string) =>
  (await bed.c.core.listNamespacedPod({ namespace, labelSelector: selector })).items.filter(
    (p) =>
      p.spec?.nodeName === bed.tb.node &&
      p.status?.conditions?.some((cond) => cond.type === 'Ready' && cond.status === 'True'),
  );

describe('mesh install with real controllers, scheduler and a kwok node', () => {
  it('default profile: istiod and the ingress gateway run ready pods on the node; exit 0; then a clean check of workloads', async () => {
    const run = await mesh(['install', '-y', '--kubeconfig', bed.tb.kubeconfig]);
    expect(run.code, run.stderr).toBe(0);
    expect(run.stderr).toContain('✔ Pilot: ');
    expect(run.stderr).toContain('✔ IngressGateways: ');
    expect(await readyPods('istio-system', 'app=istiod')).toHaveLength(1);
    expect(await readyPods('istio-system', 'app=istio-ingressgateway')).toHaveLength(1);
    const check = await mesh(['check', '--kubeconfig', bed.tb.kubeconfig, '-o', 'json']);
    const results = JSON.parse(check.stdout).results as Array<{
      group: string;
      status: string;
      message: string;
    }>;
    expect(results.filter((r) => r.group === 'Control plane').map((r) => `${r.status} ${r.message}`)).toEqual(
      [
        'ok Deployment/istio-system/istio-ingressgateway is ready',
        'ok Deployment/istio-system/istiod is ready',
      ],
    );
  });

  it('minimal profile as revision canary next to it; uninstall of the revision cascades to its pods', async () => {
    const run = await mesh([
      'install',
      '-y',
      '--kubeconfig',
      bed.tb.kubeconfig,
      '--set',
      'profile=minimal',
      '-r',
      'canary',
    ]);
    expect(run.code, run.stderr).toBe(0);
    expect(await readyPods('istio-system', 'app=istiod,istio.io/rev=canary')).toHaveLength(1);
    const un = await mesh(['uninstall', '-y', '-r', 'canary', '--kubeconfig', bed.tb.kubeconfig]);
    expect(un.code, un.stderr).toBe(0);
    await eventually('the canary pods to be gone', async () =>
      (
        await bed.c.core.listNamespacedPod({
          namespace: 'istio-system',
          labelSelector: 'istio.io/rev=canary',
        })
      ).items.length === 0
        ? true
        : undefined,
    );
    expect(await readyPods('istio-system', 'app=istiod,istio=pilot')).toHaveLength(1);
  });

  it('check --wait runs the checks again while one fails: gives up after the wait (exit 79), or ends when the Deployment is ready (exit 0)', async () => {
    const merge = setHeaderOptions('Content-Type', PatchStrategy.MergePatch);
    const cordon = (unschedulable: boolean) =>
      bed.c.core.patchNode({ name: bed.tb.node!, body: { spec: { unschedulable } } }, merge);
    const scale = (replicas: number) =>
      bed.c.apps.patchNamespacedDeployment(
        { name: 'istiod', namespace: 'istio-system', body: { spec: { replicas } } },
        merge,
      );
    const check = (wait: string, onStderr?: (soFar: string) => void) =>
      runMesh(['check', '--kubeconfig', bed.tb.kubeconfig, '--skip-proxies', '--wait', wait], { onStderr });
    // istiod's second replica cannot be scheduled while the node is cordoned
    await cordon(true);
    try {
      await scale(2);
      const gaveUp = await check('3s');
      expect(gaveUp.code, gaveUp.stderr).toBe(79);
      expect(gaveUp.stderr).toMatch(/^Waiting for: Deployment\/istio-system\/istiod is not ready: /m);
      expect(gaveUp.stderr).toContain('✘ 1 check(s) still failing after 3s');
      expect(gaveUp.stdout).toMatch(/^× Deployment\/istio-system\/istiod is not ready: /m);
      // the node is uncordoned once the run has seen the failure and waits
      let uncordoned: Promise<unknown> | undefined;
      const passed = await check('60s', (soFar) => {
        if (!uncordoned && soFar.includes('Waiting for: Deployment/istio-system/istiod'))
          uncordoned = cordon(false);
      });
      await uncordoned;
      expect(passed.code, passed.stderr).toBe(0);
      expect(passed.stderr).toMatch(/^✔ Every check passes \(after \d+s\)$/m);
      expect(passed.stdout).toContain('✓ Deployment/istio-system/istiod is ready');
      expect(passed.stdout).toMatch(/Status: all good/);
    } finally {
      await cordon(false);
      await scale(1);
    }
  });
});
