// Server-side apply of mesh's Istio CRDs (src/install/crds.ts) and of a VirtualService through
// @kubernetes/client-node, against the real API server: the server accepts them as structural schemas,
// every CRD becomes Established, and the server's own validation errors come back to the caller.
import { ApiextensionsV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { istioCrds } from '../../src/install/crds.js';
import {
  apply,
  applyCrd,
  clientsFor,
  eventually,
  FIELD_MANAGER,
  serverMessage,
  uniqueName,
} from './support/kube.js';

const testbed = inject('testbed');
const crds = istioCrds() as (KubernetesObject & { metadata: { name: string } })[];
const crd = crds.find((o) => o.metadata.name === 'virtualservices.networking.istio.io')!;
const c = clientsFor(testbed.kubeconfig);
const namespace = uniqueName('crds');

function virtualService(name: string, spec: Record<string, unknown>): KubernetesObject & { spec: unknown } {
  return {
    apiVersion: 'networking.istio.io/v1',
    kind: 'VirtualService',
    metadata: { name, namespace },
    spec,
  };
}

describe('Istio CRDs on a real API server', () => {
  beforeAll(async () => {
    await c.core.createNamespace({ body: { metadata: { name: namespace } } });
    for (const obj of crds) await applyCrd(c.kc, obj);
    const extensions = c.kc.makeApiClient(ApiextensionsV1Api);
    for (const { metadata } of crds) {
      await eventually(`${metadata.name} to be Established`, async () => {
        const current = await extensions.readCustomResourceDefinition({ name: metadata.name });
        return current.status?.conditions?.find(
          (cond) => cond.type === 'Established' && cond.status === 'True',
        );
      });
    }
  });

  it('serves the applied CRD with our field manager recorded', async () => {
    const stored = await c.objects.read(crd);
    const managers = stored.metadata?.managedFields?.map((f) => [f.manager, f.operation]);
    expect(managers).toContainEqual([FIELD_MANAGER, 'Apply']);
    // The schema is stored as written: the status istiod writes is kept, not pruned.
    const definition = await c.kc
      .makeApiClient(ApiextensionsV1Api)
      .readCustomResourceDefinition({ name: crd.metadata.name });
    const status = definition.spec.versions[0]!.schema?.openAPIV3Schema?.properties?.status;
    expect(status?.x_kubernetes_preserve_unknown_fields).toBe(true);
  });

  it('applies a VirtualService and re-applies it idempotently', async () => {
    const vs = virtualService('reviews', {
      hosts: ['reviews'],
      http: [{ route: [{ destination: { host: 'reviews' } }] }],
    });
    const first = await apply(c.objects, vs);
    const second = await apply(c.objects, vs);
    expect(second.metadata?.resourceVersion).toBe(first.metadata?.resourceVersion);
    expect((second as typeof vs).spec).toEqual(vs.spec);
  });

  it.each([
    [
      { hosts: ['reviews'], http: [{ timeout: '10 seconds' }] },
      ['VirtualService.networking.istio.io "broken" is invalid', 'spec.http[0].timeout', 'should match'],
    ],
    [{ hosts: 'reviews' }, ['.spec.hosts: expected list']],
  ])('surfaces the server validation message for spec %j', async (spec, expected) => {
    const err = await apply(c.objects, virtualService('broken', spec)).then(
      () => undefined,
      (e: unknown) => e,
    );
    const message = serverMessage(err);
    for (const part of expected) expect(message).toContain(part);
  });

  it('reports a field conflict when another manager owns the field', async () => {
    const vs = virtualService('ratings', { hosts: ['ratings'] });
    await apply(c.objects, vs);
    const other = { ...vs, spec: { hosts: ['ratings.other'] } };
    const err = await c.objects
      .patch(other, undefined, undefined, 'someone-else', false, 'application/apply-patch+yaml')
      .then(
        () => undefined,
        (e: unknown) => e,
      );
    expect(serverMessage(err)).toContain(`conflict with "${FIELD_MANAGER}"`);
  });
});
