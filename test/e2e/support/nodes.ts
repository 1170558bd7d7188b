/**
 * A test file's own testbed that runs pods: kube-controller-manager, kube-scheduler and a kwok node,
 * started before the file's tests and stopped after them.
 */
import { afterAll, beforeAll } from 'vitest';
import { clientsFor, type Clients } from './kube.js';
import { startTestbed, type Testbed } from './testbed.js';

export interface NodesTestbed {
  /** Set once the file's beforeAll has run. */
  readonly tb: Testbed;
  readonly c: Clients;
}

export function useNodesTestbed(): NodesTestbed {
  const state: { tb?: Testbed; c?: Clients } = {};
  beforeAll(async () => {
    state.tb = await startTestbed({ controllerManager: true, nodes: true });
    state.c = clientsFor(state.tb.kubeconfig);
  }, 180_000);
  afterAll(async () => {
    await state.tb?.stop();
  });
  return {
    get tb() {
      return state.tb!;
    },
    get c() {
      return state.c!;
    },
  };
}
