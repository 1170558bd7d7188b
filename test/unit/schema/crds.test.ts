import { createRequire } from 'node:module';
import { describe, expect, it } from 'vitest';
import { istioCrds, storageVersion } from '../../../src/install/crds.js';
import { withoutNulls } from '../../../src/analyzers/schema/validate.js';
import { fixtures } from './fixtures.js';

const crds = istioCrds() as any[];

/** Kubernetes structural-schema rules that can be checked without an API server; returns the violations. */
function structuralViolations(node: any, path: string, inJunctor = false): string[] {
  const out: string[] = [];
  const forbidden = ['$ref', '$defs', 'definitions', '$schema', '$id', 'const', 'title'];
  for (const k of forbidden) if (k in node) out.push(`${path}: has ${k}`);
  if (node.uniqueItems === true) out.push(`${path}: uniqueItems`);
  if (inJunctor) {
    for (const k of [
      'type',
      'description',
      'default',
      'additionalProperties',
      'nullable',
      'properties',
      'items',
    ])
      if (k in node) out.push(`${path}: ${k} inside a logical junctor`);
  } else {
    const untyped = node['x-kubernetes-int-or-string'] === true;
    if (!untyped && typeof node.type !== 'string') out.push(`${path}: no type`);
    if (node.properties && node.additionalProperties !== undefined)
      out.push(`${path}: properties and additionalProperties together`);
    if (node.additionalProperties === false || node.additionalProperties === true)
      out.push(`${path}: additionalProperties must be a schema`);
    if (node.type === 'array' && (typeof node.items !== 'object' || Array.isArray(node.items)))
      out.push(`${path}: array without a single items schema`);
  }
  for (const [name, sub] of Object.entries(node.properties ?? {}))
    out.push(...structuralViolations(sub, `${path}.${name}`));
  if (node.items) out.push(...structuralViolations(node.items, `${path}[]`));
  if (typeof node.additionalProperties === 'object')
    out.push(...structuralViolations(node.additionalProperties, `${path}{}`));
  for (const j of ['allOf', 'anyOf', 'oneOf'])
    for (const [i, sub] of (node[j] ?? []).entries())
      out.push(...structuralViolations(sub, `${path}.${j}[${i}]`, true));
  if (node.not) out.push(...structuralViolations(node.not, `${path}.not`, true));
  return out;
}

describe('istioCrds()', () => {
  it('generates one v1 CRD per Istio kind, named <plural>.<group>', () => {
    expect(crds).toHaveLength(15);
    for (const crd of crds) {
      const { group, names, scope } = crd.spec;
      expect(crd.apiVersion).toBe('apiextensions.k8s.io/v1');
      expect(crd.kind).toBe('CustomResourceDefinition');
      expect(crd.metadata.name).toBe(`${names.plural}.${group}`);
      expect(names.plural).toMatch(/^[a-z]+$/);
      expect(names.singular).toBe(names.kind.toLowerCase());
      expect(names.listKind).toBe(`${names.kind}List`);
      expect(names.categories).toContain('istio-io');
      expect(scope).toBe('Namespaced');
    }
    const vs = crds.find((c) => c.metadata.name === 'virtualservices.networking.istio.io');
    expect(vs.spec.names.shortNames).toEqual(['vs']);
  });

  it('serves every version, stores the most stable newest one, and has the status subresource', () => {
    const storage = Object.fromEntries(
      crds.map((c) => [
        c.spec.names.kind,
        c.spec.versions.filter((v: any) => v.storage).map((v: any) => v.name),
      ]),
    );
    expect(storage).toMatchObject({
      VirtualService: ['v1'],
      EnvoyFilter: ['v1alpha3'],
      ProxyConfig: ['v1beta1'],
      AuthorizationPolicy: ['v1'],
      Telemetry: ['v1'],
      WasmPlugin: ['v1alpha1'],
    });
    for (const crd of crds) {
      expect(crd.spec.versions.filter((v: any) => v.storage)).toHaveLength(1);
      for (const v of crd.spec.versions) {
        expect(v.served).toBe(true);
        expect(v.subresources).toEqual({ status: {} });
      }
    }
    expect(storageVersion(['v1alpha3', 'v1beta1', 'v1'])).toBe('v1');
    expect(storageVersion(['v1alpha1', 'v1alpha2'])).toBe('v1alpha2');
    expect(storageVersion(['v2alpha1', 'v1beta1'])).toBe('v1beta1');
  });

  it('has structural schemas: every node typed, no $ref, free-form parts preserved', () => {
    for (const crd of crds) {
      for (const v of crd.spec.versions) {
        const schema = v.schema.openAPIV3Schema;
        expect(structuralViolations(schema, `${crd.metadata.name}/${v.name}`)).toEqual([]);
        expect(schema.properties.status['x-kubernetes-preserve-unknown-fields']).toBe(true);
      }
    }
    const ef = crds.find((c) => c.spec.names.kind === 'EnvoyFilter').spec.versions[0].schema.openAPIV3Schema;
    const patch = ef.properties.spec.properties.configPatches.items.properties.patch;
    expect(patch.properties.value).toMatchObject({
      type: 'object',
      'x-kubernetes-preserve-unknown-fields': true,
    });
    expect(patch['x-kubernetes-preserve-unknown-fields']).toBeUndefined();
    const wasm = crds.find((c) => c.spec.names.kind === 'WasmPlugin').spec.versions[0].schema.openAPIV3Schema;
    expect(wasm.required).toEqual(['spec']);
    expect(wasm.properties.spec.properties.pluginConfig['x-kubernetes-preserve-unknown-fields']).toBe(true);
  });

  it('accepts every valid example and keeps the checks of the JSON Schemas', () => {
    const Ajv = createRequire(import.meta.url)('ajv').default;
    const ajv = new Ajv({ strict: false, allErrors: true });
    const byKind = new Map(
      crds.map((c) => [c.spec.names.kind, ajv.compile(c.spec.versions[0].schema.openAPIV3Schema)]),
    );
    for (const fx of fixtures('valid')) {
      for (const r of fx.resources) {
        const validate = byKind.get(r.kind)!;
        expect(
          validate(withoutNulls(r.body)),
          `${fx.file} ${r.name}: ${ajv.errorsText(validate.errors)}`,
        ).toBe(true);
      }
    }
    const dr = byKind.get('DestinationRule')!;
    expect(dr({ spec: { host: 'a', trafficPolicy: { tls: { mode: 'MUTAL' } } } })).toBe(false);
    expect(
      dr({ spec: { host: 'a', trafficPolicy: { loadBalancer: { simple: 'RANDOM', consistentHash: {} } } } }),
    ).toBe(false);
    expect(dr({ spec: {} })).toBe(false);
  });
});
