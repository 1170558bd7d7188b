import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import fc from 'fast-check';
import { goSortCompare, goSortSlice } from '../../../src/envoy/gosort.js';
import { goYamlKeyLess, toGoYaml } from '../../../src/envoy/goyaml.js';
import { clusterKeyCompare, describeIstioConfig, type SubsetKey } from '../../../src/envoy/istio.js';
import { goAtoi } from '../../../src/util/go-net.js';

const reference = JSON.parse(readFileSync(join(import.meta.dirname, 'go-reference.json'), 'utf8'));
const ints = (s: string) => (s === '' ? [] : s.split(',').map(Number));

describe('goSortSlice (Go sort.Slice)', () => {
  it('sorts like any sort when keys are distinct', () => {
    const xs = [5, 3, 9, 1, 7, 2, 8, 6, 4, 0, 11, 10, 13, 12, 15, 14];
    expect(goSortSlice([...xs], (a, b) => a < b)).toEqual([...xs].sort((a, b) => a - b));
  });

  it('keeps ties in input order up to 12 elements (insertion sort)', () => {
    const rows = ['b1', 'a1', 'b2', 'a2', 'b3'].map((s) => ({ k: s[0], s }));
    expect(goSortSlice(rows, (a, b) => a.k! < b.k!).map((r) => r.s)).toEqual(['a1', 'a2', 'b1', 'b2', 'b3']);
  });

  it(`orders ties exactly as Go does on ${reference.sort.length} generated slices (pdqsort)`, () => {
    let unstable = 0;
    for (const c of reference.sort) {
      const keys = ints(c.keys);
      const idx = keys.map((_, i) => i);
      goSortSlice(idx, (a, b) => keys[a]! < keys[b]!);
      expect(idx.join(','), `keys ${c.keys}`).toBe(c.order);
      const stable = keys.map((_, i) => i).sort((a, b) => keys[a]! - keys[b]! || a - b);
      if (stable.join(',') !== c.order) unstable++;
    }
    // the reference really exercises the unstable paths (a stable sort would not reproduce it)
    expect(unstable).toBeGreaterThan(10);
  });
});

describe('toGoYaml (sigs.k8s.io/yaml output)', () => {
  it('quotes strings YAML 1.1 would read as other types, and indicators', () => {
    expect(
      toGoYaml({
        '@type': 'x',
        y: '1605',
        t: '2022-12-08T11:03:53.361Z',
        v: '2022-12-08T09:07:09Z/10',
        s: '*',
        e: '',
      }),
    ).toBe(
      `'@type': x\ne: ""\ns: '*'\nt: "2022-12-08T11:03:53.361Z"\nv: 2022-12-08T09:07:09Z/10\n"y": "1605"\n`,
    );
  });

  it('does not indent sequences under their key and writes empty collections inline', () => {
    expect(toGoYaml({ a: [{ b: 1, c: [] }, 'x'], d: {} })).toBe('a:\n- b: 1\n  c: []\n- x\nd: {}\n');
  });

  it('writes multi-line strings as literal blocks', () => {
    expect(toGoYaml({ k: 'line one\nline two\n' })).toBe('k: |\n  line one\n  line two\n');
  });

  it('orders keys like go-yaml (non-letters first, digit runs by value)', () => {
    const keys = ['a10', 'a2', 'A', '_z', 'ISTIOD', 'ISTIO_VERSION', '@type'];
    expect([...keys].sort((a, b) => (goYamlKeyLess(a, b) ? -1 : goYamlKeyLess(b, a) ? 1 : 0))).toEqual([
      '@type',
      '_z',
      'A',
      'ISTIO_VERSION',
      'ISTIOD',
      'a2',
      'a10',
    ]);
  });

  it(`matches sigs.k8s.io/yaml byte for byte on ${reference.yaml.length} generated documents`, () => {
    for (const c of reference.yaml) expect(toGoYaml(c.json), JSON.stringify(c.json)).toBe(c.yaml);
  });
});

describe('goAtoi (Go strconv.Atoi, as istioctl reads cluster ports)', () => {
  it('reads decimal integers with an optional sign, exactly up to the int64 range', () => {
    expect(goAtoi('8080')).toBe(8080);
    expect(goAtoi('+7')).toBe(7);
    expect(goAtoi('-15')).toBe(-15);
    expect(Object.is(goAtoi('-0'), 0)).toBe(true);
    expect(goAtoi('000123')).toBe(123);
    expect(goAtoi('999999999999999')).toBe(999999999999999);
    expect(goAtoi('9223372036854775807')).toBe(2 ** 63); // as a double
    expect(goAtoi('-9223372036854775808')).toBe(-(2 ** 63));
  });

  it('rejects anything else', () => {
    for (const s of [
      '',
      '+',
      '1.5',
      ' 1',
      '1 ',
      '0x10',
      '1e3',
      '9223372036854775808',
      '-9223372036854775809',
    ])
      expect(goAtoi(s), s).toBeNull();
  });
});

describe('goSortCompare (goSortSlice through the engine sort when there are no ties)', () => {
  interface Row {
    id: number;
    key: SubsetKey;
  }
  // istioctl's less, written as Go writes it (field by field), to hold the three-way version to it.
  const goLess = (a: SubsetKey, b: SubsetKey) => {
    if (a.fqdn !== b.fqdn) return a.fqdn < b.fqdn;
    if (a.subset !== b.subset) return a.subset < b.subset;
    if (a.port !== b.port) return a.port < b.port;
    return a.direction < b.direction;
  };
  const sorted = (rows: Row[], how: 'go' | 'compare') =>
    (how === 'go'
      ? goSortSlice([...rows], (a, b) => goLess(a.key, b.key))
      : goSortCompare([...rows], (a, b) => clusterKeyCompare(a.key, b.key))
    ).map((r) => r.id);
  // Small alphabets make ties and shared prefixes common.
  const piece = fc.constantFrom('', 'a', 'ab', 'b', 'a\u0000', '\u00e9', 'z.svc');
  const key = fc.record({
    fqdn: piece,
    subset: piece,
    port: fc.oneof(fc.constantFrom(0, 80, 443, 8080, -1, 1e16), fc.nat(70000)),
    direction: fc.constantFrom('', 'inbound', 'outbound', 'in'),
  });

  it('orders every slice exactly as goSortSlice, ties included', () => {
    fc.assert(
      fc.property(fc.array(key, { maxLength: 200 }), (keys) => {
        const rows = keys.map((k, id) => ({ id, key: k }));
        expect(sorted(rows, 'compare')).toEqual(sorted(rows, 'go'));
      }),
      { numRuns: 500 },
    );
  });

  it('agrees on large slices of distinct keys (the engine-sort path)', () => {
    const rows = Array.from({ length: 500 }, (_, id) => ({
      id,
      key: {
        fqdn: `svc-${(id * 7919) % 500}.ns`,
        subset: id % 2 ? 'v1' : '',
        port: 9080,
        direction: 'outbound',
      },
    }));
    expect(sorted(rows, 'compare')).toEqual(sorted(rows, 'go'));
  });
});

describe('describeIstioConfig', () => {
  const withConfig = (config: unknown) => ({ metadata: { filter_metadata: { istio: { config } } } });
  it.each([
    ['/apis/networking.istio.io/v1/namespaces/shop/destination-rule/cart', 'cart.shop'],
    ['/apis/networking.istio.io/v1alpha3/namespaces/a/virtual-service/b', 'b.a'],
    ['/apis/networking.istio.io/v1/namespaces/shop/destination-rule/cart/extra', ''],
    ['/apis/networking.istio.io/v1/namespaces/shop/destination-rule', ''],
    ['/apis/networking.istio.io/', ''],
    ['/apis/security.istio.io/v1/namespaces/a/peer-authentication/b', '<unknown>'],
    ['', ''],
    [42, ''],
  ])('%j -> %j', (config, want) => {
    expect(describeIstioConfig(withConfig(config))).toBe(want);
  });
});
