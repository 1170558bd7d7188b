// `mesh install` on a testbed that runs pods: kube-controller-manager (Deployments → ReplicaSets → Pods,
// garbage collection), kube-scheduler and a kwok node (pods Running and Ready). No stand-in: the
// Deployments mesh creates become ready the way they would in a cluster, and uninstall's deletes cascade.
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
});
