/**
 * The `codes` metadata of analyzers is what the docs pages ("Reported by") and `--list-analyzers -o json`
 * say an analyzer reports, and the runner holds analyzers to it as to `inputs`: one that reports a code its
 * `codes` do not declare fails (IST0001). These tests run every analyzer over every manifest the repository
 * and the upstream conformance corpus hold (each conformance case also with its mesh config and mesh
 * networks, as test/conformance/analyze-replay.test.ts runs it), so an undeclared code anywhere fails here;
 * and every declared code is reported somewhere in it (with a few documents of its own for what the corpus
 * lacks), so no declaration is wider than what the analyzer does.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadManifests, parseManifestText } from '../../../src/manifests/load.js';
import { runAnalyzers, type RunOptions } from '../../../src/analyzers/run.js';
import { MESSAGES } from '../../../src/analyzers/messages.js';
import { loadMeshConfig, loadMeshNetworks } from '../../../src/analyzers/meshconfig.js';
import { SEMANTIC_CODES, SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import { cliRunOptions } from '../../support/analyze.js';
import { defineAnalyzer, K } from '../../../src/analyzers/types.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { EVERY_ANALYZER as every, loadCorpus, REPO, UPSTREAM } from './corpus.js';

const INGRESS = join(REPO, 'test/conformance/fixtures/istio-ingressgateway.yaml');
const UNDECLARED = 'which its codes do not declare';

/**
 * Catalogue codes no analyzer reports: install prechecks and upstream messages istioctl analyze has no
 * analyzer for either. Their docs pages say so. (IST0001 is the runner's, for an analyzer that fails.)
 */
const NOT_FROM_ANALYZE = ['IST0141', 'IST0142', 'IST0143', 'IST0156', 'IST0168', 'IST0169', 'IST0172'];

interface Case {
  inputFiles: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
  clusters?: Record<string, string[]>;
}

const EXTRA = `apiVersion: networking.istio.io/v1
kind: DestinationRule
metadata: {name: all-workloads, namespace: default}
spec: {host: reviews, workloadSelector: {}}
---
apiVersion: networking.istio.io/v1
kind: Gateway
metadata: {name: redirect-on-tcp, namespace: default}
spec:
  selector: {istio: ingressgateway}
  servers:
  - port: {number: 31400, name: tcp, protocol: TCP}
    hosts: ['*']
    tls: {httpsRedirect: true}
---
apiVersion: security.istio.io/v1
kind: PeerAuthentication
metadata: {name: all-workloads, namespace: default}
spec: {selector: {}}
---
apiVersion: security.istio.io/v1
kind: RequestAuthentication
metadata: {name: all-workloads, namespace: default}
spec: {selector: {}}
---
apiVersion: telemetry.istio.io/v1
kind: Telemetry
metadata: {name: all-workloads, namespace: default}
spec: {selector: {}}
---
apiVersion: extensions.istio.io/v1alpha1
kind: WasmPlugin
metadata: {name: all-workloads, namespace: default}
spec: {selector: {}, url: oci://example.com/filter:1}
---
apiVersion: extensions.istio.io/v1alpha1
kind: TrafficExtension
metadata: {name: all-workloads, namespace: default}
spec: {selector: {}}
---
apiVersion: v1
kind: ConfigMap
metadata: {name: settings, namespace: default, labels: {version: 1.0}}
`;

describe('analyzer codes metadata', () => {
  it('every declared code is a message of the catalogue, declared once', () => {
    for (const a of every) {
      for (const c of a.codes) expect(MESSAGES.has(c), `${a.name} declares ${c}`).toBe(true);
      expect(a.codes, a.name).toEqual([...new Set(a.codes)]);
    }
  });

  it('every code of the catalogue is declared by an analyzer, but for the runner’s and the install ones', () => {
    const declared = new Set(every.flatMap((a) => a.codes));
    const undeclared = [...MESSAGES.keys()].filter((c) => !declared.has(c));
    expect(undeclared).toEqual(['IST0001', ...NOT_FROM_ANALYZE]);
  });

  it('the schema analyzers know the codes of every kind’s rules', () => {
    expect(Object.keys(SEMANTIC_CODES).sort()).toEqual(Object.keys(SEMANTIC_VALIDATORS).sort());
  });

  it('no analyzer reports a code it does not declare, and each declared code is reported, over every manifest in the repository and corpus', async () => {
    const failures = new Set<string>();
    const reported = new Set<string>();
    const check = (resources: readonly Resource[], extra: Partial<RunOptions> = {}) => {
      for (const complete of [false, true]) {
        const run = runAnalyzers(resources, cliRunOptions({ analyzers: every, complete, ...extra }));
        for (const f of run.findings) {
          if (f.code === 'IST0001' && f.message.includes(UNDECLARED)) failures.add(f.message);
          reported.add(`${f.analyzer} ${f.code}`);
        }
      }
    };

    const corpus = await loadCorpus();
    expect(corpus.resources.length).toBeGreaterThan(500);
    for (const resources of corpus.inputs) check(resources);

    // Each upstream case with its mesh config and networks and the ingress gateway its harness adds; the
    // clusters of a multi-cluster case as `--remote-contexts` gives them (the first one is the primary).
    const cases: Case[] = JSON.parse(readFileSync(join(UPSTREAM, 'expected.json'), 'utf8'));
    expect(cases.length).toBeGreaterThan(100);
    for (const c of cases) {
      const groups = c.clusters ? Object.entries(c.clusters) : [['', c.inputFiles] as const];
      const resources: Resource[] = [];
      for (const [i, [clusterName, files]] of groups.entries()) {
        const loaded = await loadManifests(files.map((f) => join(UPSTREAM, f)));
        for (const r of loaded.resources)
          resources.push(i === 0 ? r : { ...r, origin: { ...r.origin, cluster: true, clusterName } });
      }
      resources.push(...(await loadManifests([INGRESS])).resources);
      check(resources, {
        meshConfig: loadMeshConfig(c.meshConfigFile ? join(UPSTREAM, c.meshConfigFile) : undefined),
        meshNetworks: loadMeshNetworks(c.meshNetworksFile ? join(UPSTREAM, c.meshNetworksFile) : undefined),
      });
    }

    // What no file of the corpus has: warnings of the schema rules of some kinds, a label that is no string.
    const extra: Resource[] = [];
    const problems: LoadProblem[] = [];
    parseManifestText(EXTRA, 'extra.yaml', extra, problems);
    expect(problems).toEqual([]);
    check(extra);

    expect([...failures]).toEqual([]);
    // and the declarations are no wider than what is reported: the guard is exercised for every code
    const declared = every.flatMap((a) => a.codes.map((c) => `${a.name} ${c}`));
    expect(declared.filter((d) => !reported.has(d))).toEqual([]);
  });

  it('an analyzer reporting an undeclared code fails with IST0001 naming the code, and its findings are dropped', () => {
    const sloppy = defineAnalyzer({
      name: 'test.Sloppy',
      description: 'reports IST0101, declares only IST0102',
      codes: ['IST0102'],
      inputs: [K.Namespace],
      analyze(ctx) {
        ctx.report('IST0102', undefined, ['ns', 'ns']);
        ctx.report('IST0101', undefined, ['host', 'x']);
      },
    });
    const run = runAnalyzers([], cliRunOptions({ analyzers: [sloppy] }));
    expect(run.findings.map((f) => [f.code, f.message])).toEqual([
      [
        'IST0001',
        'Internal error: analyzer test.Sloppy failed: it reports IST0101, which its codes do not declare (a bug in mesh, please report it)',
      ],
    ]);
  });

  it('the runner’s IST0001 for a failing analyzer needs no declaration', () => {
    const broken = defineAnalyzer({
      name: 'test.Broken',
      description: 'throws',
      codes: [],
      inputs: [],
      analyze() {
        throw new Error('boom');
      },
    });
    const run = runAnalyzers([], cliRunOptions({ analyzers: [broken] }));
    expect(run.findings.map((f) => [f.code, f.message])).toEqual([
      ['IST0001', 'Internal error: analyzer test.Broken failed: boom'],
    ]);
  });
});
