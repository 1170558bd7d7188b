/**
 * `mesh check`'s Certificates group when the server refuses a read: as every refused read of check
 * (README), a `× cannot check …: <the server's message>`. Before, a forbidden Secret was
 * `‼ cannot read Secret istio-system/cacerts (forbidden)`, dropping the server's message, and check
 * exited 0 although the signing CA was not checked.
 */
import { describe, expect, it } from 'vitest';
import { trustChecks } from '../../../src/certs/ca-health.js';
import type { KubeRest } from '../../../src/kube/rest.js';
import { makeCa } from '../../support/certs.js';

const root = makeCa('cluster.local');
const forbidden = {
  kind: 'Status',
  apiVersion: 'v1',
  status: 'Failure',
  reason: 'Forbidden',
  code: 403,
  message:
    'secrets "cacerts" is forbidden: User "dev" cannot get resource "secrets" in API group "" in the namespace "istio-system"',
};

/** A cluster with the root published in istio-system only and the cacerts Secret unreadable. */
const rest = {
  request: async (_method: string, path: string) => {
    if (path === '/api/v1/namespaces/istio-system/configmaps/istio-ca-root-cert')
      return { status: 200, body: { data: { 'root-cert.pem': root.certPem } } };
    if (path === '/api/v1/namespaces/istio-system/secrets/cacerts') return { status: 403, body: forbidden };
    return { status: 404, body: {} };
  },
  call: async () => ({
    items: [
      {
        metadata: { namespace: 'istio-system', name: 'istio-ca-root-cert' },
        data: { 'root-cert.pem': root.certPem },
      },
    ],
  }),
} as unknown as KubeRest;

describe('mesh check: Certificates when a read is refused', () => {
  it("a forbidden Secret is × cannot check …: with the server's message", async () => {
    const results = await trustChecks(rest, { istioNamespace: 'istio-system', warnMs: 0, now: new Date() });
    expect(results.filter((r) => r.status !== 'ok')).toEqual([
      {
        group: 'Certificates',
        status: 'fail',
        message: `cannot check the certificates in Secret/istio-system/cacerts: ${forbidden.message}`,
        hint: 'the user lacks read access for this check',
      },
    ]);
    // the only copy of the root is istio-system's own: said so, not "all 1 namespace(s) … trust the same root"
    expect(results.at(-1)).toEqual({
      group: 'Certificates',
      status: 'ok',
      message: 'no namespace but istio-system has istio-ca-root-cert yet: no copy of the root to compare',
    });
  });
});
