// JSON Patch (RFC 6902) as the sidecar injector answers it: each operation's behaviour from the RFC,
// pointers with escaped characters, all-or-nothing on failure, and a failing operation named.
import { describe, expect, it } from 'vitest';
import { applyJsonPatch } from '../../../src/util/json-patch.js';

const apply = (doc: unknown, ...ops: unknown[]) => applyJsonPatch(doc, ops);

describe('applyJsonPatch', () => {
  it('add: sets an object member (replacing one), inserts into a list, appends with "-", replaces the root', () => {
    expect(apply({ a: 1 }, { op: 'add', path: '/b', value: [2] })).toEqual({ a: 1, b: [2] });
    expect(apply({ a: 1 }, { op: 'add', path: '/a', value: 3 })).toEqual({ a: 3 });
    expect(apply({ l: ['x', 'z'] }, { op: 'add', path: '/l/1', value: 'y' })).toEqual({ l: ['x', 'y', 'z'] });
    expect(apply({ l: ['x'] }, { op: 'add', path: '/l/-', value: 'y' })).toEqual({ l: ['x', 'y'] });
    expect(apply({ l: ['x'] }, { op: 'add', path: '/l/1', value: 'y' })).toEqual({ l: ['x', 'y'] });
    expect(apply({ a: 1 }, { op: 'add', path: '', value: { b: 2 } })).toEqual({ b: 2 });
  });

  it('remove and replace need the target to exist; replace keeps the key order', () => {
    expect(apply({ a: 1, b: 2 }, { op: 'remove', path: '/a' })).toEqual({ b: 2 });
    expect(apply({ l: [1, 2, 3] }, { op: 'remove', path: '/l/1' })).toEqual({ l: [1, 3] });
    const replaced = apply({ a: 1, b: 2, c: 3 }, { op: 'replace', path: '/b', value: { x: 1 } });
    expect(Object.keys(replaced as object)).toEqual(['a', 'b', 'c']);
    expect(replaced).toEqual({ a: 1, b: { x: 1 }, c: 3 });
    expect(apply({ l: [1, 2] }, { op: 'replace', path: '/l/0', value: 9 })).toEqual({ l: [9, 2] });
    expect(() => apply({ a: 1 }, { op: 'remove', path: '/b' })).toThrow(
      'operation 1 (remove /b): "b" does not exist',
    );
    expect(() => apply({ a: 1 }, { op: 'replace', path: '/b', value: 1 })).toThrow(/"b" does not exist/);
  });

  it('move, copy and test', () => {
    expect(apply({ a: { b: 1 }, c: {} }, { op: 'move', from: '/a/b', path: '/c/d' })).toEqual({
      a: {},
      c: { d: 1 },
    });
    expect(apply({ l: [1, 2, 3, 4] }, { op: 'move', from: '/l/1', path: '/l/3' })).toEqual({
      l: [1, 3, 4, 2],
    });
    const copied = apply({ a: { b: [1] } }, { op: 'copy', from: '/a', path: '/c' }) as any;
    expect(copied).toEqual({ a: { b: [1] }, c: { b: [1] } });
    expect(copied.c).not.toBe(copied.a);
    expect(
      apply({ a: { x: [1, { y: 2 }] } }, { op: 'test', path: '/a', value: { x: [1, { y: 2 }] } }),
    ).toEqual({ a: { x: [1, { y: 2 }] } });
    expect(() => apply({ a: '10' }, { op: 'test', path: '/a', value: 10 })).toThrow(
      'operation 1 (test /a): the value differs',
    );
    expect(() => apply({ a: { b: 1 } }, { op: 'move', from: '/a', path: '/a/b/c' })).toThrow(
      /cannot move a value into itself/,
    );
  });

  it('reads ~1 as "/" and ~0 as "~" in pointers (annotation keys hold slashes)', () => {
    const pod = { metadata: { annotations: {} } };
    expect(
      apply(
        pod,
        { op: 'add', path: '/metadata/annotations/sidecar.istio.io~1status', value: '{}' },
        { op: 'add', path: '/metadata/annotations/a~0b', value: 'x' },
      ),
    ).toEqual({ metadata: { annotations: { 'sidecar.istio.io/status': '{}', 'a~b': 'x' } } });
  });

  it('is all or nothing: the input is unchanged, and the operation that failed is named', () => {
    const doc = { spec: { containers: [{ name: 'app' }] } };
    const before = structuredClone(doc);
    expect(() =>
      apply(
        doc,
        { op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy' } },
        { op: 'add', path: '/spec/volumes/0', value: { name: 'v' } },
      ),
    ).toThrow('operation 2 (add /spec/volumes/0): "volumes" does not exist');
    expect(doc).toEqual(before);
    const out = apply(doc, { op: 'add', path: '/spec/containers/-', value: { name: 'istio-proxy' } });
    expect(doc).toEqual(before);
    expect((out as any).spec.containers).toHaveLength(2);
  });

  it('refuses malformed patches and out-of-range indexes with a reason', () => {
    expect(() => applyJsonPatch({}, { op: 'add' })).toThrow('a JSON Patch must be a list of operations');
    expect(() => apply({}, { op: 'add', path: 'a', value: 1 })).toThrow(/"a" is not a JSON Pointer/);
    expect(() => apply({}, { op: 'add', path: '/a' })).toThrow(/it has no value/);
    expect(() => apply({}, { op: 'frobnicate', path: '/a' })).toThrow(/unknown operation/);
    expect(() => apply({ l: [1] }, { op: 'add', path: '/l/3', value: 1 })).toThrow(
      /no index 3 in a list of 1/,
    );
    expect(() => apply({ l: [1, 2] }, { op: 'remove', path: '/l/01' })).toThrow(/no index 01/);
    expect(() => apply({ l: [1] }, { op: 'remove', path: '/l/-' })).toThrow(/no index -/);
  });

  it('keeps a member named __proto__ as data', () => {
    const out = apply({}, { op: 'add', path: '/__proto__', value: { polluted: true } }) as any;
    expect(Object.hasOwn(out, '__proto__')).toBe(true);
    expect(({} as any).polluted).toBeUndefined();
    expect(out.polluted).toBeUndefined();
  });
});
