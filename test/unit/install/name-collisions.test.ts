import { describe, expect, it } from 'vitest';
import {
  collisionMessage,
  nameCollisions,
  removalPatch,
  withoutTakenNames,
  withRenderedEntries,
} from '../../../src/install/name-collisions.js';

/** A managedFields entry owning the Service ports of these keys (`[port, protocol]`). */
const owner = (manager: string, operation: string, ...keys: Array<[number, string]>) => ({
  manager,
  operation,
  fieldsV1: {
    'f:spec': {
      'f:ports': Object.fromEntries(
        keys.map(([port, protocol]) => [
          `k:${JSON.stringify({ port, protocol })}`,
          { '.': {}, 'f:name': {}, 'f:port': {} },
        ]),
      ),
    },
  },
});

const rendered = {
  apiVersion: 'v1',
  kind: 'Service',
  metadata: { name: 'istiod', namespace: 'istio-system' },
  spec: {
    ports: [
      { port: 15010, name: 'grpc-xds', protocol: 'TCP' },
      { port: 15012, name: 'https-dns', protocol: 'TCP' },
      { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
    ],
  },
};

/** istiod's Service after `kubectl edit` renumbered https-dns 15012 → 15013. */
const edited = (...managedFields: object[]) => ({
  ...rendered,
  metadata: { ...rendered.metadata, resourceVersion: '42', managedFields },
  spec: {
    clusterIP: '10.0.0.48',
    ports: [
      { port: 15010, name: 'grpc-xds', protocol: 'TCP', targetPort: 15010 },
      { port: 15013, name: 'https-dns', protocol: 'TCP', targetPort: 15012 },
      { port: 443, name: 'https-webhook', protocol: 'TCP', targetPort: 15017 },
    ],
  },
});

describe('nameCollisions', () => {
  it('finds a renumbered Service port another manager wrote, under the name mesh gives its own port; names the manager', () => {
    const live = edited(
      owner('mesh', 'Apply', [15010, 'TCP'], [443, 'TCP']),
      owner('kubectl-edit', 'Update', [15013, 'TCP']),
    );
    const found = nameCollisions(live, rendered, 'mesh');
    expect(found).toEqual([
      {
        path: ['spec', 'ports'],
        name: 'https-dns',
        live: '15013/TCP',
        rendered: '15012/TCP',
        managers: ['kubectl-edit'],
      },
    ]);
    expect(collisionMessage(found)).toBe(
      'name "https-dns" of .spec.ports is taken by port 15013/TCP, written by "kubectl-edit"; mesh gives it to port 15012/TCP (--force removes port 15013/TCP)',
    );
  });

  it('an entry that only mesh applied is none (applying removes it), one mesh shares with another manager is', () => {
    // an earlier rendering gave https-dns port 15013
    const mine = edited(owner('mesh', 'Apply', [15010, 'TCP'], [15013, 'TCP'], [443, 'TCP']));
    expect(nameCollisions(mine, rendered, 'mesh')).toEqual([]);
    const shared = edited(
      owner('mesh', 'Apply', [15010, 'TCP'], [15013, 'TCP'], [443, 'TCP']),
      owner('kubectl-edit', 'Update', [15013, 'TCP']),
      // mesh's own Update entry (not an apply) counts as another writer
      owner('mesh', 'Update', [15013, 'TCP']),
    );
    expect(nameCollisions(shared, rendered, 'mesh').map((c) => c.managers)).toEqual([
      ['kubectl-edit', 'mesh'],
    ]);
    // nobody owns it (managedFields cleared): it stays, written by nobody known
    const unowned = nameCollisions(edited(), rendered, 'mesh');
    expect(unowned.map((c) => c.managers)).toEqual([[]]);
    expect(collisionMessage(unowned)).toContain('written by an unknown manager;');
  });

  it('none when the names and keys agree, when the live key is one mesh renders (renamed on apply), or when the protocol only defaults', () => {
    const live = edited(owner('kubectl-edit', 'Update', [15013, 'TCP']));
    expect(nameCollisions({ ...live, spec: { ports: rendered.spec.ports } }, rendered, 'mesh')).toEqual([]);
    const renamed = structuredClone(rendered);
    renamed.spec.ports.push({ port: 15013, name: 'other', protocol: 'TCP' });
    expect(nameCollisions(live, renamed, 'mesh')).toEqual([]);
    const noProtocol = structuredClone(rendered) as any;
    for (const p of noProtocol.spec.ports) delete p.protocol;
    expect(nameCollisions({ ...live, spec: { ports: rendered.spec.ports } }, noProtocol, 'mesh')).toEqual([]);
    expect(nameCollisions(undefined, rendered, 'mesh')).toEqual([]);
    expect(nameCollisions(live, { ...rendered, kind: 'ConfigMap' }, 'mesh')).toEqual([]);
  });

  it("finds a container port of a Deployment's pod template, by container name", () => {
    const deployment = (ports: object[], managedFields: object[] = []) => ({
      apiVersion: 'apps/v1',
      kind: 'Deployment',
      metadata: { name: 'istiod', resourceVersion: '7', managedFields },
      spec: {
        template: {
          spec: {
            containers: [
              { name: 'sidecar', ports: [{ containerPort: 9000, name: 'tls-xds' }] },
              { name: 'discovery', ports },
            ],
          },
        },
      },
    });
    const mine = deployment([
      { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
      { containerPort: 15012, name: 'tls-xds', protocol: 'TCP' },
    ]);
    mine.spec.template.spec.containers.shift();
    const live = deployment(
      [
        { containerPort: 8080, name: 'http-debug', protocol: 'TCP' },
        { containerPort: 15013, name: 'tls-xds', protocol: 'TCP' },
      ],
      [
        {
          manager: 'kubectl-patch',
          operation: 'Update',
          fieldsV1: {
            'f:spec': {
              'f:template': {
                'f:spec': {
                  'f:containers': {
                    'k:{"name":"discovery"}': {
                      'f:ports': { 'k:{"containerPort":15013,"protocol":"TCP"}': {} },
                    },
                  },
                },
              },
            },
          },
        },
      ],
    );
    const found = nameCollisions(live, mine, 'mesh');
    expect(found).toEqual([
      {
        path: ['spec', 'template', 'spec', 'containers', { name: 'discovery' }, 'ports'],
        name: 'tls-xds',
        live: '15013/TCP',
        rendered: '15012/TCP',
        managers: ['kubectl-patch'],
      },
    ]);
    expect(collisionMessage(found)).toContain(
      'of .spec.template.spec.containers[name:discovery].ports is taken by',
    );
    expect(removalPatch(live, found)).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '7' },
      { op: 'remove', path: '/spec/template/spec/containers/1/ports/1' },
    ]);
  });
});

describe('taking the names back (--force)', () => {
  const twice = () => {
    const mine = structuredClone(rendered);
    // both https-dns (15012 → 15013) and https-webhook (443 → 8443) renumbered
    const live = edited(owner('kubectl-edit', 'Update', [15013, 'TCP'], [8443, 'TCP']));
    live.spec.ports[2]!.port = 8443;
    return { mine, live, found: nameCollisions(live, mine, 'mesh') };
  };

  it('removes only the entries that hold the names, last index first, on the resourceVersion read', () => {
    const { live, found } = twice();
    expect(found.map((c) => c.name)).toEqual(['https-dns', 'https-webhook']);
    expect(removalPatch(live, found)).toEqual([
      { op: 'replace', path: '/metadata/resourceVersion', value: '42' },
      { op: 'remove', path: '/spec/ports/2' },
      { op: 'remove', path: '/spec/ports/1' },
    ]);
  });

  it("leaves mesh's entries of those names out of what it applies, then puts them in the other entries' places", () => {
    const { mine, live, found } = twice();
    const without = withoutTakenNames(mine, found);
    expect(without.spec.ports.map((p) => p.name)).toEqual(['grpc-xds']);
    expect(mine.spec.ports).toHaveLength(3);
    const after = withRenderedEntries(live, mine, found);
    expect(after.spec.ports).toEqual([
      { port: 15010, name: 'grpc-xds', protocol: 'TCP', targetPort: 15010 },
      { port: 15012, name: 'https-dns', protocol: 'TCP' },
      { port: 443, name: 'https-webhook', targetPort: 15017, protocol: 'TCP' },
    ]);
    expect(after.spec.clusterIP).toBe('10.0.0.48');
    expect(live.spec.ports[1]!.port).toBe(15013);
  });
});
