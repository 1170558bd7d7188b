import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { analyzers } from '../../../src/analyzers/schema/index.js';
import { SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import type { SemanticValidator } from '../../../src/analyzers/schema/rules/types.js';
import { schemaIssues } from '../../../src/analyzers/schema/validate.js';
import { loadMeshConfig, loadMeshNetworks } from '../../../src/analyzers/meshconfig.js';
import { locateFindings, runAnalyzers } from '../../../src/analyzers/run.js';
import { findAnalyzer } from '../../../src/analyzers/registry.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import { positionOf } from '../../../src/manifests/positions.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';
import { expectations, fixtures } from '../schema/fixtures.js';

async function analyze(resources: Resource[]) {
  const run = runAnalyzers(resources, {
    defaultNamespace: 'default',
    reportNamespace: undefined,
    istioNamespace: 'istio-system',
    meshConfig: loadMeshConfig(undefined),
    meshNetworks: loadMeshNetworks(undefined),
    defaultIngress: false,
    analyzers,
  });
  await locateFindings(run.findings);
  return run.findings;
}

function parse(text: string, file = 'in.yaml'): Resource[] {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, resources, problems);
  expect(problems).toEqual([]);
  return resources;
}

const PREFIX = 'Schema validation error: ';

describe('schema.ValidationAnalyzer.*', () => {
  // The per-kind semantic rules are tested with their modules; here the registry holds only what a test puts
  // there, so that these tests see the structural check and the analyzer's own handling of rule results.
  const registered = { ...SEMANTIC_VALIDATORS };
  beforeEach(() => {
    for (const k of Object.keys(SEMANTIC_VALIDATORS)) delete SEMANTIC_VALIDATORS[k];
  });
  afterEach(() => {
    for (const k of Object.keys(SEMANTIC_VALIDATORS)) delete SEMANTIC_VALIDATORS[k];
    Object.assign(SEMANTIC_VALIDATORS, registered);
  });

  it('registers the 17 analyzers under the names istioctl uses', () => {
    const kinds = [
      'AuthorizationPolicy',
      'DestinationRule',
      'EnvoyFilter',
      'Gateway',
      'MeshConfig',
      'MeshNetworks',
      'PeerAuthentication',
      'ProxyConfig',
      'RequestAuthentication',
      'ServiceEntry',
      'Sidecar',
      'Telemetry',
      'TrafficExtension',
      'VirtualService',
      'WasmPlugin',
      'WorkloadEntry',
      'WorkloadGroup',
    ];
    expect(analyzers.map((a) => a.name).sort()).toEqual(kinds.map((k) => `schema.ValidationAnalyzer.${k}`));
    for (const k of kinds) expect(findAnalyzer(`schema.ValidationAnalyzer.${k}`)).toBeDefined();
  });

  for (const fx of fixtures('valid')) {
    it(`accepts the realistic examples in valid/${fx.file.split('/').pop()}`, async () => {
      const findings = await analyze(fx.resources);
      expect(findings.filter((f) => f.code === 'IST0106').map((f) => `${f.line}: ${f.message}`)).toEqual([]);
    });
  }

  for (const fx of fixtures('invalid')) {
    it(`reports each mistake in invalid/${fx.file.split('/').pop()} on the field's own line`, async () => {
      const expected = expectations(fx.text);
      expect(expected.size).toBeGreaterThan(0);
      const findings = (await analyze(fx.resources)).filter((f) => f.code === 'IST0106');
      for (const [line, text] of expected) {
        const onLine = findings.filter((f) => f.line === line).map((f) => f.message);
        expect(
          onLine.some((m) => m.startsWith(PREFIX) && m.includes(text)),
          `line ${line}: ${text}\ngot ${onLine.join('\n')}`,
        ).toBe(true);
      }
      // Every structural problem is one the fixture announces (on that line).
      for (const r of fx.resources) {
        for (const issue of schemaIssues(r)) {
          const line = positionOf(r, issue.path)?.line ?? r.origin.line;
          expect(expected.has(line), `unexpected at line ${line}: ${issue.message}`).toBe(true);
        }
      }
    });
  }

  it('leaves kinds in versions Istio does not serve to the unknown-kind analyzer', async () => {
    const findings = await analyze(
      parse(`apiVersion: networking.istio.io/v2
kind: VirtualService
metadata: {name: future}
spec:
  whatever: [1]
`),
    );
    expect(findings).toEqual([]);
  });

  it('treats fields set to null as absent, as the API server does', async () => {
    // Flow-style metadata takes js-yaml's path, block style the fast parser's: both must strip nulls.
    for (const metadata of ['metadata: {name: dr}', 'metadata:\n  name: dr']) {
      const findings = await analyze(
        parse(`apiVersion: networking.istio.io/v1
kind: DestinationRule
${metadata}
spec:
  host: reviews
  exportTo:
  trafficPolicy:
    tls: ~
`),
      );
      expect(findings, metadata).toEqual([]);
    }
  });

  it('points at fields of objects inside a kind: List and in JSON files', async () => {
    const list = parse(`apiVersion: v1
kind: List
items:
- apiVersion: security.istio.io/v1
  kind: PeerAuthentication
  metadata: {name: pa}
  spec:
    mtls:
      mode: strict
`);
    const [inList] = await analyze(list);
    expect(inList).toMatchObject({ code: 'IST0106', line: 9 });
    expect(inList!.message).toContain(
      'spec.mtls.mode: must be one of UNSET, DISABLE, PERMISSIVE, STRICT; got "strict" (did you mean "STRICT"?)',
    );

    const json = parse(
      '{\n  "apiVersion": "networking.istio.io/v1",\n  "kind": "Gateway",\n  "metadata": {"name": "gw"},\n  "spec": {\n    "servers": [{"port": {"number": 80, "name": "http", "protocol": "HTTP"}, "hosts": ["*"], "bind": 7}]\n  }\n}\n',
      'gw.json',
    );
    const [inJson] = await analyze(json);
    expect(inJson).toMatchObject({
      code: 'IST0106',
      line: 6,
      message: `${PREFIX}spec.servers[0].bind: must be string, got number 7`,
    });
  });

  it('reports an unknown top-level field and basic metadata mistakes', async () => {
    const findings = await analyze(
      parse(`apiVersion: networking.istio.io/v1
kind: Sidecar
metadata:
  name: default
  labels:
    version: 2
sepc:
  egress:
  - hosts: ["./*"]
`),
    );
    expect(findings.map((f) => [f.line, f.message])).toEqual([
      [6, `${PREFIX}metadata.labels.version: must be string, got number 2`],
      [7, `${PREFIX}unknown field "sepc" (did you mean "spec"?)`],
    ]);
  });

  describe('semantic rules', () => {
    const VS = `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs}
spec:
  hosts: [reviews]
  http:
  - route:
    - destination: {host: reviews}
  - route:
    - destination: {host: reviews}
      weight: "7"
`;

    it('runs after the schema check: errors → IST0106, warnings → IST0133, own codes kept', async () => {
      const rules: SemanticValidator = () => [
        { level: 'error', message: 'host "reviews" is bad', path: 'spec.hosts[0]' },
        { level: 'warning', message: 'route 0 is risky', path: 'spec.http[0]' },
        {
          level: 'warning',
          message: 'unused',
          path: 'spec.http[1]',
          code: 'IST0130',
          args: ['1', 'only a catch-all before'],
        },
        { level: 'error', message: 'weight must be a number', path: 'spec.http[1].route[0].weight' },
      ];
      SEMANTIC_VALIDATORS.VirtualService = rules;
      const findings = await analyze(parse(VS));
      expect(findings.map((f) => [f.code, f.line, f.message])).toEqual([
        ['IST0106', 5, `${PREFIX}host "reviews" is bad`],
        ['IST0106', 11, `${PREFIX}spec.http[1].route[0].weight: must be integer, got string "7"`],
        ['IST0130', 9, 'VirtualService rule 1 not used (only a catch-all before).'],
        ['IST0133', 7, 'Schema validation warning: route 0 is risky'],
      ]);
    });

    it('does not let a rule that trips over a structurally broken object hide the schema errors', async () => {
      SEMANTIC_VALIDATORS.VirtualService = (r) => r.spec.http.map((h: any) => h.route[0].weight.toFixed());
      const broken = await analyze(parse(VS));
      expect(broken.map((f) => f.code)).toEqual(['IST0106']);
      const fine = await analyze(
        parse(VS.replace('"7"', '7').replace('    - destination: {host: reviews}\n  - route', '  - route')),
      );
      expect(fine.map((f) => f.code)).toEqual(['IST0001']);
    });
  });
});

describe('schema.ValidationAnalyzer.VirtualService on a document with many errors', () => {
  /** A VirtualService whose `n` routes each have a percentage out of range and a delay that is no duration. */
  const manyBadRoutes = (n: number) =>
    `apiVersion: networking.istio.io/v1
kind: VirtualService
metadata: {name: vs, namespace: default}
spec:
  hosts: [web]
  http:
` +
    Array.from(
      { length: n },
      (_, i) =>
        `  - fault: {delay: {percentage: {value: ${101 + i}}, fixedDelay: ${i + 1}x}}\n    route: [{destination: {host: web}}]\n`,
    ).join('');

  // (Each rule issue was compared with each structural one: 1,500 such routes took 15 s, now ≈ 0.5 s.)
  it('reports each error once, the rule issue inside a structural one left out', async () => {
    const findings = await analyze(parse(manyBadRoutes(1500)));
    const at = (path: string) => findings.filter((f) => f.path === path).map((f) => `${f.code} ${f.message}`);
    expect(at('spec.http[0].fault.delay.percentage.value')).toEqual([
      `IST0106 ${PREFIX}percentage 101 must be between 0 and 100`,
    ]);
    // The rule's own duration check says what the structural one says: once.
    expect(at('spec.http[1499].fault.delay.fixedDelay')).toEqual([
      `IST0106 ${PREFIX}spec.http[1499].fault.delay.fixedDelay: must be a duration such as "1.5s", "100ms" or "1h", got "1500x"`,
    ]);
    const codes = findings.map((f) => f.code);
    expect(codes.filter((c) => c === 'IST0106')).toHaveLength(3000);
    expect(codes.filter((c) => c === 'IST0130')).toHaveLength(1499);
    expect(codes).not.toContain('IST0001');
  });
});
