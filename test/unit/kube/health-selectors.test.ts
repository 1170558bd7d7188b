/**
 * The label selectors of injector webhooks, read as the API server reads them: `mesh check` decides with
 * them which injector serves a namespace (a namespace no injector selects gets no proxy) and prints them
 * when two injectors select the same pods.
 */
import { describe, expect, it } from 'vitest';
import { isInjectorWebhook, selectorText } from '../../../src/kube/health-selectors.js';
import { selectorMatches as selects } from '../../../src/kube/labels.js';

const byNamespace = { matchExpressions: [{ key: 'istio-injection', operator: 'In', values: ['enabled'] }] };
const byRevision = {
  matchExpressions: [
    { key: 'istio.io/rev', operator: 'In', values: ['canary'] },
    { key: 'istio-injection', operator: 'DoesNotExist' },
  ],
};

describe('selectorMatches on injector webhooks', () => {
  it('In, NotIn, Exists, DoesNotExist and matchLabels, as the API server matches them', () => {
    expect(selects(byNamespace, { 'istio-injection': 'enabled' })).toBe(true);
    expect(selects(byNamespace, { 'istio-injection': 'disabled' })).toBe(false);
    expect(selects(byNamespace, {})).toBe(false);
    expect(selects(byRevision, { 'istio.io/rev': 'canary' })).toBe(true);
    // istio-injection wins over istio.io/rev: the revision webhook leaves such a namespace alone
    expect(selects(byRevision, { 'istio.io/rev': 'canary', 'istio-injection': 'enabled' })).toBe(false);
    const notFalse = {
      matchExpressions: [{ key: 'sidecar.istio.io/inject', operator: 'NotIn', values: ['false'] }],
    };
    expect(selects(notFalse, {})).toBe(true);
    expect(selects(notFalse, { 'sidecar.istio.io/inject': 'false' })).toBe(false);
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Exists' }] }, { a: '' })).toBe(true);
    expect(selects({ matchLabels: { a: 'b' } }, { a: 'c' })).toBe(false);
    expect(selects(undefined, {})).toBe(true);
    expect(selects({}, { any: 'thing' })).toBe(true);
    // an operator the API server refuses selects nothing
    expect(selects({ matchExpressions: [{ key: 'a', operator: 'Gt', values: ['1'] }] }, { a: '2' })).toBe(
      false,
    );
  });
});

describe('selectorText', () => {
  it('writes selectors as kubectl does', () => {
    expect(selectorText(byRevision)).toBe('istio.io/rev in (canary),!istio-injection');
    expect(
      selectorText({
        matchLabels: { app: 'web' },
        matchExpressions: [
          { key: 'x', operator: 'NotIn', values: ['a', 'b'] },
          { key: 'y', operator: 'Exists' },
        ],
      }),
    ).toBe('app=web,x notin (a,b),y');
    expect(selectorText(undefined)).toBe('everything');
  });
});

describe('isInjectorWebhook', () => {
  it("knows Istio's injector webhook names, revision and tag ones included", () => {
    expect(isInjectorWebhook({ name: 'namespace.sidecar-injector.istio.io' })).toBe(true);
    expect(isInjectorWebhook({ name: 'rev.object.sidecar-injector.istio.io' })).toBe(true);
    expect(isInjectorWebhook({ name: 'rev.validation.istio.io' })).toBe(false);
    expect(isInjectorWebhook({ name: 'my-sidecar-injector.istio.io.example.com' })).toBe(false);
  });
});
