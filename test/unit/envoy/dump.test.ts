import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigDump, DumpType, indexSections } from '../../../src/envoy/dump.js';
import { toProtoJson } from '../../../src/envoy/protojson.js';
import { allSummary, clusterSummary, listenerSummary, routeSummary } from '../../../src/envoy/summary.js';
import { MeshError } from '../../../src/util/errors.js';

const ROOT = join(import.meta.dirname, '../../../../shared/conformance/istioctl-proxy');
const SIDECAR = readFileSync(join(ROOT, 'istioctl/pkg/proxyconfig/testdata/config_dump.json'), 'utf8');

function parseError(text: string): MeshError {
  try {
    ConfigDump.parse(text, 'dump.json');
  } catch (err) {
    return err as MeshError;
  }
  throw new Error('expected a parse error');
}

async function all(dump: ConfigDump): Promise<string> {
  let out = '';
  await allSummary(
    dump,
    {
      cluster: {},
      listener: {},
      endpoint: {},
      verbose: true,
      withHeaders: false,
      now: new Date('2025-06-01Z'),
    },
    async (s) => {
      out += s;
    },
  );
  return out;
}

describe('ConfigDump parsing', () => {
  it('reports an empty input as unparsable (exit 65), naming the source', () => {
    const e = parseError('');
    expect(e.exitCode).toBe(65);
    expect(e.message).toBe(
      'error unmarshalling config dump response from Envoy: dump.json: unexpected end of JSON input (empty)',
    );
  });

  it('says a dump cut short is truncated, with the byte count', () => {
    const cut = SIDECAR.slice(0, 1000);
    expect(parseError(cut).message).toContain('truncated after 1000 bytes');
  });

  it('gives line and column of a syntax error', () => {
    expect(parseError('{\n  "configs": [\n    }\n]}').message).toMatch(/dump\.json: line 3 column 5/);
  });

  it('accepts YAML dumps', () => {
    const d = ConfigDump.parse(
      'configs:\n- "@type": type.googleapis.com/envoy.admin.v3.ClustersConfigDump\n  static_clusters:\n  - cluster: {name: agent}\n',
      'dump.yaml',
    );
    expect(d.clusters().map((c) => c.value.name)).toEqual(['agent']);
  });

  it('rejects a document that is not an object', () => {
    expect(parseError('[1, 2]').message).toContain('expected a JSON object');
  });
});

describe('ConfigDump sections', () => {
  it('parses a released section again when it is used again (pc all releases each after its table)', () => {
    const d = ConfigDump.parse(SIDECAR, 'dump.json');
    const before = clusterSummary(d, {});
    const names = d.clusters().map((c) => c.value.name);
    d.release(DumpType.clusters);
    expect(d.clusters().map((c) => c.value.name)).toEqual(names);
    expect(clusterSummary(d, {})).toBe(before);
    // a dump given as parsed JSON has no text to parse again: nothing is dropped
    const parsed = new ConfigDump(JSON.parse(SIDECAR));
    const view = parsed.clusters();
    parsed.release(DumpType.clusters);
    expect(parsed.clusters()).toBe(view);
  });

  it('names the missing section the way istioctl does', () => {
    const d = new ConfigDump({ configs: [] });
    expect(() => d.clusters()).toThrow(`config dump has no configuration type ${DumpType.clusters}`);
    expect(d.endpoints()).toEqual([]); // EDS absent just means no endpoints
  });

  it('reads every section of a type, in order, as one (and merges every ECDS section)', () => {
    const d = new ConfigDump({
      configs: [
        { '@type': DumpType.clusters, static_clusters: [{ cluster: { name: 'old' } }] },
        { '@type': DumpType.ecds, ecds_filters: [{ ecds_filter: { name: 'a' } }] },
        {
          '@type': DumpType.clusters,
          dynamicActiveClusters: [{ cluster: { name: 'dynamic' } }],
          static_clusters: [{ cluster: { name: 'new' } }],
        },
        { '@type': DumpType.ecds, ecds_filters: [{ ecds_filter: { name: 'b' } }] },
      ],
    });
    expect(d.clusters().map((c) => c.value.name)).toEqual(['dynamic', 'old', 'new']);
    expect(d.ecdsFilters().map((c) => c.value.name)).toEqual(['a', 'b']);
    // as protobuf merges messages: lists concatenated, in either spelling
    expect(d.section(DumpType.clusters)).toEqual({
      '@type': DumpType.clusters,
      static_clusters: [{ cluster: { name: 'old' } }, { cluster: { name: 'new' } }],
      dynamicActiveClusters: [{ cluster: { name: 'dynamic' } }],
    });
  });

  it('skips dynamic listeners without an active state (warming or draining only)', () => {
    const d = new ConfigDump({
      configs: [
        {
          '@type': DumpType.listeners,
          dynamic_listeners: [{ name: 'w', warming_state: { listener: { name: 'w' } } }, { name: 'x' }],
        },
      ],
    });
    expect(() => listenerSummary(d, {}, true)).toThrow('no listeners found');
  });

  it('reads camelCase dumps exactly like snake_case ones', async () => {
    const snake = ConfigDump.parse(SIDECAR, 'snake');
    const camel = new ConfigDump(toProtoJson(JSON.parse(SIDECAR)) as Record<string, unknown>);
    expect(JSON.stringify(camel.root)).toContain('"dynamicActiveClusters"');
    expect(await all(camel)).toBe(await all(snake));
  });

  it('survives malformed entries instead of crashing; a list field that is not a list is unreadable input', () => {
    const dump = (filters: unknown, routes: unknown) =>
      new ConfigDump({
        configs: [
          'not an object',
          { '@type': DumpType.clusters, static_clusters: [{ cluster: { type: 7 } }] },
          {
            '@type': DumpType.listeners,
            static_listeners: [{ listener: { filter_chains: [null, { filters }] } }],
          },
          {
            '@type': DumpType.routes,
            static_route_configs: [{ route_config: { virtual_hosts: [{ routes }] } }],
          },
        ],
      });
    const d = dump(null, null);
    expect(clusterSummary(d, {})).toContain('7');
    expect(listenerSummary(d, {}, true)).toContain('Non-HTTP/Non-TCP');
    expect(routeSummary(d, undefined, true)).toContain('404');
    // read as empty, they would show a listener without filters and a route without routes (404)
    const bad = dump('x', 3);
    expect(() => listenerSummary(bad, {}, true)).toThrow(
      expect.objectContaining({ message: 'field filters must be a list, got "x"', exitCode: 65 }),
    );
    expect(() => routeSummary(bad, undefined, true)).toThrow(
      expect.objectContaining({ message: 'field routes must be a list, got 3', exitCode: 65 }),
    );
  });

  it('reports a list entry or resource name of the wrong type as unreadable input (exit 65), naming the section', () => {
    for (const [entry, message] of [
      [null, 'ClustersConfigDump: static_clusters[0] must be an object, got null'],
      [{ cluster: 'x' }, 'ClustersConfigDump: static_clusters[0].cluster must be an object, got "x"'],
      [
        { cluster: { name: ['a'] } },
        'ClustersConfigDump: static_clusters[0].cluster.name must be a string, got ["a"]',
      ],
    ] as const) {
      const d = new ConfigDump({ configs: [{ '@type': DumpType.clusters, static_clusters: [entry] }] });
      expect(() => d.clusters()).toThrow(expect.objectContaining({ message, exitCode: 65 }));
    }
  });
});

describe('lazy sections', () => {
  it('indexes the sections of an Envoy dump (any whitespace) and parses each only when asked', () => {
    const minified = JSON.stringify(JSON.parse(SIDECAR));
    for (const text of [SIDECAR, minified]) {
      const refs = indexSections(text)!;
      expect(refs.map((r) => r.type.replace(/.*\./, ''))).toEqual([
        'BootstrapConfigDump',
        'ClustersConfigDump',
        'EndpointsConfigDump',
        'ListenersConfigDump',
        'ScopedRoutesConfigDump',
        'RoutesConfigDump',
        'SecretsConfigDump',
      ]);
      for (const r of refs) expect(JSON.parse(text.slice(r.start, r.end))['@type']).toBe(r.type);
    }
  });

  it('falls back to a whole parse when the text has another shape', () => {
    const odd = JSON.parse(SIDECAR);
    odd.configs.splice(1, 0, {
      '@type': 'type.googleapis.com/custom.Thing',
      note: 'type.googleapis.com/envoy.admin.v3.X',
    });
    expect(indexSections(JSON.stringify(odd))).toBeUndefined();
    const d = ConfigDump.parse(JSON.stringify(odd), 'odd.json');
    expect(d.clusters().length).toBe(3);
    expect(indexSections('{"configs": []}')).toBeUndefined();
  });

  it('reads the sections it needs even when another one is damaged, and locates the damage', () => {
    const at = SIDECAR.indexOf('"static_listeners": [') + '"static_listeners": '.length;
    const damaged = SIDECAR.slice(0, at) + '#' + SIDECAR.slice(at);
    const d = ConfigDump.parse(damaged, 'damaged.json');
    expect(clusterSummary(d, {})).toContain('httpbin.default.svc.cluster.local');
    const line = damaged.slice(0, at).split('\n').length;
    expect(() => d.listeners()).toThrow(
      new RegExp(`damaged\\.json: line ${line} column \\d+: unexpected "#"`),
    );
  });
});
