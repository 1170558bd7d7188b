import { describe, expect, it } from 'vitest';
import { formatPlan } from '../../../src/install/plan-format.js';
import { planRefusals } from '../../../src/kube/installer.js';
import { eitherSignal, linkedSignal } from '../../../src/util/interrupt.js';
import { getEventListeners } from 'node:events';

describe('formatPlan: what a plan line says besides create / change', () => {
  const plan = {
    entries: [
      {
        ref: 'Namespace/gw-none',
        action: 'missing' as const,
        message:
          'does not exist, and mesh creates only the install namespace (1 object(s) go into it: Service/gw-none/gw)',
        hint: "create it first (kubectl create namespace gw-none), or set the gateway's namespace to one that exists, then re-run",
      },
      {
        ref: 'Deployment/istio-system/istio-ingressgateway',
        action: 'change' as const,
        note: 'moves from revision default to r3',
        changes: [{ path: 'metadata.labels."istio.io/rev"', from: 'default', to: 'r3' }],
      },
      {
        ref: 'ConfigMap/istio-system/istio-sidecar-injector',
        action: 'conflict' as const,
        takeOver: 'exists, not created by mesh (written by kubectl-create)',
        message: 'Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.config',
      },
    ],
  };

  it('a gateway moving to another revision, a namespace missing, a conflict on an object mesh did not create', () => {
    expect(formatPlan(plan).split('\n')).toEqual([
      '! Namespace/gw-none: does not exist, and mesh creates only the install namespace (1 object(s) go into it: Service/gw-none/gw)',
      "    Hint: create it first (kubectl create namespace gw-none), or set the gateway's namespace to one that exists, then re-run",
      '~ Deployment/istio-system/istio-ingressgateway (moves from revision default to r3)',
      '    metadata.labels."istio.io/rev": "default" → "r3"',
      '! ConfigMap/istio-system/istio-sidecar-injector: exists, not created by mesh (written by kubectl-create); conflict: Apply failed with 1 conflict: conflict with "kubectl-create" using v1: .data.config',
      'Plan: 0 to create, 1 to change, 0 to prune, 0 unchanged, 1 in conflict, 1 namespace(s) missing.',
    ]);
  });

  it('a missing namespace is refused even with --force, first', () => {
    expect(planRefusals(plan, true).map((e) => e.action)).toEqual(['missing', 'conflict']);
  });
});

describe('abort listeners: one per signal, however many requests run on it', () => {
  it('linkedSignal puts one listener on the shared signal and aborts every linked one with its reason', () => {
    const run = new AbortController();
    const links = Array.from({ length: 50 }, () => linkedSignal(run.signal));
    expect(getEventListeners(run.signal, 'abort')).toHaveLength(1);
    links.slice(0, 25).forEach((l) => l.dispose());
    const reason = new Error('interrupted');
    run.abort(reason);
    expect(links.slice(25).every((l) => l.signal.aborted && l.signal.reason === reason)).toBe(true);
    expect(links.slice(0, 25).some((l) => l.signal.aborted)).toBe(false);
  });

  it('eitherSignal adds no listener to the signal it returns', () => {
    const a = new AbortController();
    const b = new AbortController();
    const either = eitherSignal(a.signal, b.signal);
    expect(getEventListeners(either, 'abort')).toHaveLength(0);
    b.abort('lost');
    expect(either.reason).toBe('lost');
    expect(getEventListeners(a.signal, 'abort')).toHaveLength(0);
  });
});
