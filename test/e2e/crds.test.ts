// Server-side apply of an Istio CRD and of a VirtualService through @kubernetes/client-node, against
// the real API server: the CRD becomes Established and the server's own validation errors come back.
import { ApiextensionsV1Api, type KubernetesObject } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { beforeAll, describe, expect, inject, it } from 'vitest';
import { parse } from 'yaml';
import { apply, clientsFor, eventually, FIELD_MANAGER, serverMessage, uniqueName } from './support/kube.js';

const testbed = inject('testbed');
const crd = parse(readFileSync(join(import.meta.dirname, 'fixtures/virtualservice-crd.yaml'), 'utf8'));
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
    await apply(c.objects, crd);
    const extensions = c.kc.makeApiClient(ApiextensionsV1Api);
    await eventually('the VirtualService CRD to be Established', async () => {
      const current = await extensions.readCustomResourceDefinition({ name: crd.metadata.name });
      return current.status?.conditions?.find(
        (cond) => cond.type === 'Established' && cond.status === 'True',
      );
    });
  });

  it('serves the applied CRD with our field manager recorded', async () => {
    const stored = await c.objects.read(crd);
    const managers = stored.metadata?.managedFields?.map((f) => [f.manager, f.operation]);
    expect(managers).toContainEqual([FIELD_MANAGER, 'Apply']);
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
      { hosts: [''] },
      ['VirtualService.networking.istio.io "broken" is invalid', 'spec.hosts[0]', 'at least 1 chars long'],
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
