import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LabelIndex, labelsMatch, SelectorIndex } from '../../../src/kube/labels.js';

// Small alphabets so that selectors and label sets overlap often.
const key = fc.constantFrom('app', 'version', 'tier', 'istio');
const value = fc.constantFrom('a', 'b', 'v1', '1');
const labels = fc.dictionary(key, value, { maxKeys: 3 });
// Selectors as written in manifests: maps (values may be numbers or null), absent, or not a map at all.
const selector = fc.oneof(
  fc.dictionary(key, fc.oneof(value, fc.constant(1), fc.constant(null)), { maxKeys: 3 }),
  fc.constant(undefined),
  fc.constant(null),
  fc.constant('app=a'),
);

describe('label and selector indexes', () => {
  it('LabelIndex finds exactly the items a selector matches, in input order', () => {
    fc.assert(
      fc.property(fc.array(labels, { maxLength: 12 }), selector, (items, sel) => {
        const indexed = items.map((l, i) => ({ i, l }));
        const index = new LabelIndex(indexed, (x) => x.l);
        expect(index.matching(sel)).toEqual(indexed.filter((x) => labelsMatch(sel, x.l)));
      }),
    );
  });

  it('SelectorIndex finds exactly the items whose selector matches a label set, in input order', () => {
    fc.assert(
      fc.property(fc.array(selector, { maxLength: 12 }), labels, (selectors, l) => {
        const items = selectors.map((s, i) => ({ i, s }));
        const index = new SelectorIndex(items, (x) => x.s);
        expect(index.matching(l)).toEqual(items.filter((x) => labelsMatch(x.s, l)));
      }),
    );
  });
});
