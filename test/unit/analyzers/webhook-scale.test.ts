import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { locateFindings, runAnalyzers } from '../../../src/analyzers/run.js';
import { findAnalyzer } from '../../../src/analyzers/registry.js';
import { defineAnalyzer, K, type Analyzer } from '../../../src/analyzers/types.js';
import { INJECTION_LABEL, REVISION_LABEL, SIDECAR_INJECT } from '../../../src/analyzers/util/labels.js';
import { selectorMatches } from '../../../src/kube/labels.js';
import { text } from '../../../src/util/values.js';
import { analyzeText, cliRunOptions } from '../../support/analyze.js';
import { revisionsOf, withRevisions } from '../../../src/analyzers/webhook/webhook.js';

const run = (manifests: string) => analyzeText(manifests, ['webhook.Analyzer']);

/** `n` injector configurations, each labelled with its own revision and with no selectors at all. */
function unselectiveInjectors(n: number): string {
  let out = '';
  for (let i = 0; i < n; i++)
    out += `apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: inj${i}, labels: {istio.io/rev: r${i}}}
webhooks: [{name: ns.sidecar-injector.istio.io, clientConfig: {service: {name: istiod, namespace: istio-system}}}]
---
`;
  return out;
}

const overlapMessage = (others: string[]) =>
  `Webhook overlaps with others: [${others.join(' ')}]. This may cause injection to occur twice.`;

describe('webhook.Analyzer with many revisions', () => {
  // Every namespace and pod reaches every injector: istioctl reports each once, with all the others.
  it('reports each of 100 unselective injectors once, with the 99 others', async () => {
    const findings = await run(unselectiveInjectors(100));
    expect(findings).toHaveLength(100);
    expect(new Set(findings.map((f) => f.code))).toEqual(new Set(['IST0139']));
    expect(new Set(findings.map((f) => f.path))).toEqual(new Set(['webhooks[0].name']));
    const first = findings.find((f) => f.origin === 'MutatingWebhookConfiguration inj0')!;
    expect(first.line).toBe(4);
    expect(
      first.message.startsWith(
        'Webhook overlaps with others: [inj1/ns.sidecar-injector.istio.io inj10/ns.sidecar-injector.istio.io inj11/',
      ),
    ).toBe(true);
    const ids = Array.from({ length: 99 }, (_, i) => `inj${i + 1}/ns.sidecar-injector.istio.io`).sort();
    expect(first.message).toBe(overlapMessage(ids));
    const last = findings.find((f) => f.origin === 'MutatingWebhookConfiguration inj99')!;
    expect(last.message).toBe(overlapMessage(ids.map((id) => id.replace(/^inj99\//, 'inj0/')).sort()));
  });

  it('reports 1,000 unselective injectors in well under the time the label-set combinations took', async () => {
    const started = Date.now();
    const findings = await run(unselectiveInjectors(1000));
    expect(Date.now() - started).toBeLessThan(5000);
    expect(findings).toHaveLength(1000);
    const ids = Array.from({ length: 999 }, (_, i) => `inj${i}/ns.sidecar-injector.istio.io`).sort();
    expect(findings.find((f) => f.origin === 'MutatingWebhookConfiguration inj999')!.message).toBe(
      overlapMessage(ids),
    );
  });
});

// ---------------------------------------------------------------------------------------------------------
// REFERENCE ONLY, not shipped: webhook.Analyzer's overlap search as it was before it was made to scale. It
// tries every namespace × pod label-set combination (the square of 3 × (revisions + 1)) and reports each
// combination's matches, which ran out of memory with 100 revisions. It stays here solely as the oracle
// the differential test below compares the analyzer with (the label sets come from the analyzer's own
// revisionsOf and withRevisions, which the change left as they were).
// ---------------------------------------------------------------------------------------------------------
interface ReferenceHook {
  config: Resource;
  index: number;
  id: string;
  spec: any;
}

const referenceAnalyzer: Analyzer = defineAnalyzer({
  name: 'webhook.Analyzer',
  description: 'REFERENCE ONLY: the combination-by-combination webhook.Analyzer',
  codes: ['IST0139'],
  inputs: [K.MutatingWebhookConfiguration, K.Service],
  analyze(ctx) {
    const hooks: ReferenceHook[] = [];
    const revisions = new Set<string>();
    for (const config of ctx.each(K.MutatingWebhookConfiguration)) {
      const list = Array.isArray(config.body.webhooks) ? config.body.webhooks : [];
      const revs = revisionsOf(config, list);
      const istio = list.some((h: any) => typeof h?.name === 'string' && h.name.endsWith('istio.io'));
      if (revs.length === 0 && !istio) continue;
      revs.forEach((r) => revisions.add(r));
      list.forEach((spec: any, index: number) =>
        hooks.push({ config, index, id: `${config.name}/${text(spec?.name ?? '')}`, spec }),
      );
    }
    const nsLabelSets = withRevisions(
      [{}, { [INJECTION_LABEL]: 'enabled' }, { [INJECTION_LABEL]: 'disabled' }],
      [...revisions],
    );
    const podLabelSets = withRevisions(
      [{}, { [SIDECAR_INJECT]: 'true' }, { [SIDECAR_INJECT]: 'false' }],
      [...revisions],
    );
    for (const nsLabels of nsLabelSets) {
      for (const podLabels of podLabelSets) {
        const matching = hooks.filter(
          (h) =>
            selectorMatches(h.spec?.namespaceSelector, nsLabels) &&
            selectorMatches(h.spec?.objectSelector, podLabels),
        );
        if (matching.length < 2) continue;
        for (const h of matching) {
          const others = matching
            .filter((o) => o !== h)
            .map((o) => o.id)
            .sort();
          ctx.report(
            'IST0139',
            h.config,
            [`Webhook overlaps with others: [${others.join(' ')}]. This may cause injection to occur twice.`],
            { path: `webhooks[${h.index}].name` },
          );
        }
      }
    }
    if (!ctx.has(K.Service)) return;
    for (const h of hooks) {
      const svc = h.spec?.clientConfig?.service;
      if (!svc) continue;
      if (ctx.get(K.Service, text(svc.namespace ?? ''), text(svc.name ?? ''))) continue;
      ctx.report(
        'IST0139',
        h.config,
        [
          `Injector refers to a control plane service that does not exist: ${text(svc.namespace)}/${text(svc.name)}.`,
        ],
        { path: `webhooks[${h.index}].clientConfig.service.name` },
      );
    }
  },
});
// ------------------------------------------ end of the reference ------------------------------------------

/** Runs one analyzer object over manifest text as `mesh analyze file.yaml` does; located findings, in order. */
async function runWith(analyzer: Analyzer, manifests: string) {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(manifests, 'in.yaml', resources, problems);
  const result = runAnalyzers(resources, cliRunOptions({ analyzers: [analyzer] }));
  await locateFindings(result.findings);
  return result.findings.map((f) => [f.code, f.origin, f.cluster, f.line, f.path, f.message]);
}

const value = fc.constantFrom<unknown>(
  'r0',
  'r1',
  'r2',
  'default',
  'enabled',
  'disabled',
  'true',
  'false',
  '',
  null,
  1,
);
const key = fc.constantFrom(REVISION_LABEL, INJECTION_LABEL, SIDECAR_INJECT, 'app');
const selector = fc.oneof(
  fc.constant(undefined),
  fc.constant({}),
  fc.record(
    {
      matchLabels: fc.dictionary(key, value, { maxKeys: 2 }),
      matchExpressions: fc.array(
        fc.record(
          {
            key,
            operator: fc.constantFrom('In', 'NotIn', 'Exists', 'DoesNotExist', 'Bogus'),
            values: fc.array(value, { maxLength: 3 }),
          },
          { requiredKeys: ['key', 'operator'] },
        ),
        { maxLength: 3 },
      ),
    },
    { requiredKeys: [] },
  ),
);
const webhook = fc.record(
  {
    name: fc.constantFrom('a.sidecar-injector.istio.io', 'b.sidecar-injector.istio.io', 'hook.example.com'),
    clientConfig: fc.record({
      service: fc.record({
        name: fc.constantFrom('istiod', 'istiod-canary'),
        namespace: fc.constant('istio-system'),
      }),
    }),
    namespaceSelector: selector,
    objectSelector: selector,
  },
  { requiredKeys: ['name', 'clientConfig'] },
);
const configuration = fc.record({
  name: fc.constantFrom('c0', 'c1', 'c2', 'c3', 'c4'),
  revision: fc.option(fc.constantFrom('r0', 'r1', 'r3', 'r4', 'default', 'x'), { nil: undefined }),
  webhooks: fc.array(webhook, { maxLength: 3 }),
});
const input = fc.record({
  configurations: fc.array(configuration, { maxLength: 5 }),
  service: fc.boolean(),
});

/** The generated input as manifest text (JSON documents: YAML reads them the same). */
function manifestsOf(x: { configurations: any[]; service: boolean }): string {
  const docs: object[] = x.configurations.map((c) => ({
    apiVersion: 'admissionregistration.k8s.io/v1',
    kind: 'MutatingWebhookConfiguration',
    metadata: {
      name: c.name,
      ...(c.revision === undefined ? {} : { labels: { [REVISION_LABEL]: c.revision } }),
    },
    webhooks: c.webhooks,
  }));
  if (x.service)
    docs.push({ apiVersion: 'v1', kind: 'Service', metadata: { name: 'istiod', namespace: 'istio-system' } });
  return docs.map((d) => JSON.stringify(d)).join('\n---\n');
}

describe('webhook.Analyzer against the combination-by-combination reference', () => {
  it('gives the same findings, in the same order, on a few hundred small random inputs', async () => {
    let overlapping = 0;
    await fc.assert(
      fc.asyncProperty(input, async (x) => {
        const manifests = manifestsOf(x);
        const actual = await runWith(findAnalyzer('webhook.Analyzer')!, manifests);
        expect(actual).toEqual(await runWith(referenceAnalyzer, manifests));
        if (actual.some((f) => String(f[5]).startsWith('Webhook overlaps'))) overlapping++;
      }),
      { numRuns: 400, seed: 20260148 },
    );
    // the inputs must exercise overlaps, not only quiet configurations
    expect(overlapping).toBeGreaterThan(100);
  });

  it('gives the same findings where revisions that no selector names stand in for one another', async () => {
    const manifests = `${unselectiveInjectors(6)}apiVersion: admissionregistration.k8s.io/v1
kind: MutatingWebhookConfiguration
metadata: {name: picky, labels: {istio.io/rev: r2}}
webhooks:
- name: rev.sidecar-injector.istio.io
  namespaceSelector: {matchExpressions: [{key: istio.io/rev, operator: In, values: [r2, r9]}]}
- name: norev.sidecar-injector.istio.io
  objectSelector: {matchExpressions: [{key: istio.io/rev, operator: DoesNotExist}]}
- name: anyrev.sidecar-injector.istio.io
  objectSelector: {matchExpressions: [{key: istio.io/rev, operator: Exists}], matchLabels: {sidecar.istio.io/inject: "true"}}
`;
    const actual = await runWith(findAnalyzer('webhook.Analyzer')!, manifests);
    expect(actual.length).toBeGreaterThan(9);
    expect(actual).toEqual(await runWith(referenceAnalyzer, manifests));
  });
});
