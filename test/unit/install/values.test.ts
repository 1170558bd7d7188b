import { describe, expect, it } from 'vitest';
import { mergeTree, parsePath, setPath, typedValue, type JsonMap } from '../../../src/install/values.js';

describe('--set paths', () => {
  it('splits on dots, keeps escaped dots in keys, and reads [N] and [key:value] selectors', () => {
    expect(parsePath('values.global.proxy.logLevel')).toEqual(
      ['values', 'global', 'proxy', 'logLevel'].map((key) => ({ kind: 'key', key })),
    );
    expect(parsePath('k8s.podAnnotations.sidecar\\.istio\\.io/inject')).toEqual([
      { kind: 'key', key: 'k8s' },
      { kind: 'key', key: 'podAnnotations' },
      { kind: 'key', key: 'sidecar.istio.io/inject' },
    ]);
    expect(parsePath('components.ingressGateways[name:istio-ingressgateway].enabled')).toEqual([
      { kind: 'key', key: 'components' },
      { kind: 'key', key: 'ingressGateways' },
      { kind: 'select', key: 'name', value: 'istio-ingressgateway' },
      { kind: 'key', key: 'enabled' },
    ]);
    expect(parsePath('a[0][1]')).toEqual([
      { kind: 'key', key: 'a' },
      { kind: 'index', index: 0 },
      { kind: 'index', index: 1 },
    ]);
    expect(() => parsePath('a..b')).toThrow(/empty or malformed/);
    expect(() => parsePath('a[x]')).toThrow(/neither \[N\] nor \[key:value\]/);
  });

  it('types values like istioctl: integer, float, boolean, else string; tags and proxyMetadata stay strings', () => {
    expect(typedValue('3')).toBe(3);
    expect(typedValue('0.5')).toBe(0.5);
    expect(typedValue('true')).toBe(true);
    expect(typedValue('a\\,b')).toBe('a,b');
    expect(typedValue('1.30', 'tag')).toBe('1.30');
    expect(typedValue('1', 'values.global.tag')).toBe('1');
    expect(typedValue('true', 'meshConfig.defaultConfig.proxyMetadata.ISTIO_META_DNS_CAPTURE')).toBe('true');
  });

  it("types values with Go's strconv rules, as istioctl (checked against the testbed's istioctl manifest generate)", () => {
    // before: True, TRUE, t, F, 1_000 and 0x1p3 stayed strings, and 1e400 was infinity (refused by the schema)
    const istioctl: Array<[string, unknown]> = [
      ['yes', 'yes'],
      ['True', true],
      ['TRUE', true],
      ['t', true],
      ['F', false],
      ['017', 17],
      ['1e3', 1000],
      ['1_000', 1000],
      ['1_0.5', 10.5],
      ['0x10', '0x10'],
      ['0x1p3', 8],
      ['1.0', 1],
      ['+5', 5],
      ['_1', '_1'],
      ['1__0', '1__0'],
      ['1e400', '1e400'],
      ['null', 'null'],
      ['5s', '5s'],
    ];
    expect(istioctl.map(([text]) => [text, typedValue(text)])).toEqual(istioctl);
    // istioctl panics on these (a float JSON cannot hold): strings here
    expect(['inf', 'NaN', '-Infinity'].map((t) => typedValue(t))).toEqual(['inf', 'NaN', '-Infinity']);
  });

  it('creates missing maps and lists, selects list elements, and names the path when a selector misses', () => {
    const root: JsonMap = { gws: [{ name: 'a', enabled: true }, { name: 'b' }] };
    setPath(root, 'gws[name:b].enabled', false);
    setPath(root, 'x.y[0].z', 1);
    setPath(root, 'gws[2]', { name: 'c' });
    expect(root).toEqual({
      gws: [{ name: 'a', enabled: true }, { name: 'b', enabled: false }, { name: 'c' }],
      x: { y: [{ z: 1 }] },
    });
    expect(() => setPath(root, 'gws[name:zz].enabled', true)).toThrow('gws[name:zz].enabled: no element');
    expect(() => setPath(root, 'gws[9]', 1)).toThrow(/index 9 is out of range/);
    expect(() => setPath(root, 'x.y.z', 1)).toThrow('"x.y" is not a map');
  });
});

describe('mergeTree', () => {
  it('merges maps key by key, replaces lists and scalars, deletes on null, and changes neither input', () => {
    const base = { a: { b: 1, c: [1, 2] }, d: 'x', e: 1 };
    const over = { a: { c: [3], f: true }, e: null };
    expect(mergeTree(base, over)).toEqual({ a: { b: 1, c: [3], f: true }, d: 'x' });
    expect(base).toEqual({ a: { b: 1, c: [1, 2] }, d: 'x', e: 1 });
    expect(over).toEqual({ a: { c: [3], f: true }, e: null });
  });
});

describe('keys named like Object.prototype members', () => {
  it('--set and merged files treat __proto__ and constructor as keys, never as the prototype', () => {
    const root: JsonMap = {};
    setPath(root, '__proto__.x', 1);
    setPath(root, 'values.constructor.y', 2);
    expect(({} as any).x).toBeUndefined();
    expect(Object.keys(root)).toEqual(['__proto__', 'values']);
    expect(Object.getPrototypeOf(root)).toBe(Object.prototype);
    expect(JSON.stringify(root)).toBe('{"__proto__":{"x":1},"values":{"constructor":{"y":2}}}');
    const merged = mergeTree({ a: 1 }, JSON.parse('{"__proto__": {"hub": "evil"}}')) as JsonMap;
    expect(Object.keys(merged)).toEqual(['a', '__proto__']);
    expect((merged as any).hub).toBeUndefined();
  });
});
