/**
 * Hostile values in real documents: every document the project ships or reads (examples, test fixtures,
 * the upstream conformance inputs), with one value at a time replaced by a value of the wrong shape, through
 * the loader and every analyzer (opt-in ones too). No analyzer may fail on it: mesh reports a failing
 * analyzer as IST0001 and leaves the document out of that analyzer's checks, so each IST0001 here is a
 * document a user's run silently did not check. The same for the mesh config and mesh networks files, for
 * names that are Object.prototype members, and for the output formats writing findings about such values.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { parse as parseYaml, parseAllDocuments, stringify } from 'yaml';
import { describe, expect, it } from 'vitest';
import { analyzePaths } from '../../src/analyzers/pipeline.js';
import { loadMeshConfig, loadMeshNetworks } from '../../src/analyzers/meshconfig.js';
import { ALL_ANALYZERS, OPT_IN_ANALYZERS } from '../../src/analyzers/registry.js';
import { runAnalyzers } from '../../src/analyzers/run.js';
import { parseManifestText } from '../../src/manifests/load.js';
import type { Resource } from '../../src/manifests/types.js';
import { cliRunOptions } from '../support/analyze.js';
import { runCli } from '../support/cli.js';
import { allPaths, realManifestFiles, ROOT } from '../support/manifests.js';

type Path = Array<string | number>;
const EVERY = [...ALL_ANALYZERS, ...OPT_IN_ANALYZERS];

/** A mapping whose one key is `key` (an own property even for `__proto__`, as YAML loaders make it). */
const only = (key: string, value: unknown) => JSON.parse(JSON.stringify({ [key]: value }));

/** Mappings whose keys shadow Object.prototype: `String(v)`, `Number(v)` and `${v}` throw on the first. */
const SHADOWING: Array<[string, unknown]> = [
  ['{toString: "", valueOf: 1}', { toString: '', valueOf: 1 }],
  ['{__proto__: {x: y}}', only('__proto__', { x: 'y' })],
];
/** Values of the wrong type or size for wherever they land. */
const WRONG: Array<[string, unknown]> = [
  ['{toJSON: 1}', { toJSON: 1 }],
  ['{constructor: 1}', { constructor: 1 }],
  ['{hasOwnProperty: 1}', { hasOwnProperty: 1 }],
  ['null', null],
  ['[]', []],
  ['{}', {}],
  ['-1.5', -1.5],
  ['65536', 65536],
  ['true', true],
  ['a 100 KB string', 'x'.repeat(100_000)],
  ['""', ''],
  // names of Object.prototype members, where a name is looked up in a table
  ['"constructor"', 'constructor'],
  ['"__proto__"', '__proto__'],
];

interface Seed {
  file: string;
  /** Each document as YAML text. */
  texts: string[];
  docs: unknown[];
}

function seeds(): Seed[] {
  return realManifestFiles()
    .sort()
    .map((file) => {
      const docs = parseAllDocuments(readFileSync(file, 'utf8'))
        .filter((d) => d.errors.length === 0)
        .map((d) => d.toJS({ maxAliasCount: -1 }) as unknown);
      return { file, docs, texts: docs.map((d) => stringify(d, { lineWidth: 0 })) };
    });
}

interface Mutation {
  seed: Seed;
  doc: number;
  path: Path;
  name: string;
  value: unknown;
}

/**
 * Every path of every document (kind-less ones, e.g. mesh config files, stay as they are) gets the
 * `toString` mapping, every mapping also the `__proto__` one (a key lost when copied by assignment), and
 * every fourth path one of the wrong-type values in turn; so does every path an analyzer reads in the
 * document but that is not there (once for each kind and field). About 24,000 runs, each wrong-type value at some 270 paths. Run once in
 * full (13 values at every present path, 183,000 runs over four minutes; Object.prototype member names as
 * strings at every present path, 71,000 runs; 8 values at every absent path read, 71,000 runs), they found
 * no failing analyzer that this selection and the tests below miss.
 */
function* mutations(): Generator<Mutation> {
  let turn = 0;
  /** Absent paths already given, by kind and path (indices left out): once each is enough. */
  const given = new Set<string>();
  for (const seed of seeds()) {
    const absent = absentReads(seed);
    for (let doc = 0; doc < seed.docs.length; doc++) {
      const d = seed.docs[doc];
      if (!isMap(d) || typeof d.kind !== 'string') continue;
      for (const path of allPaths(d)) {
        const values = [SHADOWING[0]!];
        if (isMap(at(d, path))) values.push(SHADOWING[1]!);
        if (turn % 4 === 0) values.push(WRONG[(turn / 4) % WRONG.length]!);
        turn++;
        for (const [name, value] of values) yield { seed, doc, path, name, value };
      }
      for (const path of absent.get(doc) ?? []) {
        const key = `${d.kind} ${path.map((k) => (typeof k === 'number' ? '#' : k)).join('.')}`;
        if (given.has(key)) continue;
        given.add(key);
        const [name, value] = SHADOWING[0]!;
        yield { seed, doc, path, name, value };
      }
    }
  }
}

/**
 * The paths the analyzers read in each document (by index) but that are not there, recorded by proxies
 * over the loaded documents; the kind and apiVersion are left out (they decide which analyzers run).
 */
function absentReads(seed: Seed): Map<number, Path[]> {
  const resources: Resource[] = [];
  parseManifestText(seed.texts.join('---\n'), seed.file, resources, []);
  const reads = new Map<number, Set<string>>();
  const watched = resources.map((r) => {
    const seen = new Set<string>();
    reads.set(r.origin.docIndex, seen);
    const body = recording(r.body, [], seen);
    return { ...r, body, metadata: body.metadata, spec: body.spec };
  });
  runAnalyzers(watched, cliRunOptions({ analyzers: EVERY }));
  const out = new Map<number, Path[]>();
  for (const [doc, seen] of reads)
    out.set(
      doc,
      [...seen].map((p) => JSON.parse(p) as Path).filter((p) => p[0] !== 'kind' && p[0] !== 'apiVersion'),
    );
  return out;
}

/** `v` behind proxies that add to `absent` each mapping key read that the mapping does not have. */
function recording(v: any, path: Path, absent: Set<string>): any {
  if (v === null || typeof v !== 'object') return v;
  return new Proxy(v, {
    get(target, prop, receiver) {
      const x = Reflect.get(target, prop, receiver);
      if (typeof prop !== 'string') return x;
      if (Array.isArray(target))
        return /^\d+$/.test(prop) ? recording(x, [...path, Number(prop)], absent) : x;
      if (!Object.prototype.hasOwnProperty.call(target, prop)) {
        absent.add(JSON.stringify([...path, prop]));
        return x;
      }
      return recording(x, [...path, prop], absent);
    },
  });
}

function isMap(v: unknown): v is Record<string, unknown> {
  return typeof v === 'object' && v !== null && !Array.isArray(v);
}

function at(v: unknown, path: Path): unknown {
  let cur: any = v;
  for (const k of path) cur = cur?.[k];
  return cur;
}

/**
 * Sets the value at `path` (an own property even for a key named `__proto__`), making the mappings and
 * sequences on the way that are not there.
 */
function setAt(v: unknown, path: Path, value: unknown): void {
  let parent: any = v;
  for (let i = 0; i < path.length - 1; i++) {
    const k = path[i]!;
    if (parent[k] === null || typeof parent[k] !== 'object')
      parent[k] = typeof path[i + 1] === 'number' ? [] : {};
    parent = parent[k];
  }
  Object.defineProperty(parent, path[path.length - 1]!, {
    value: structuredClone(value),
    enumerable: true,
    writable: true,
    configurable: true,
  });
}

/** The seed's text with the value at `path` of one document replaced. */
function mutated(m: Mutation): string {
  const doc = structuredClone(m.seed.docs[m.doc]);
  setAt(doc, m.path, m.value);
  const texts = m.seed.texts.slice();
  texts[m.doc] = stringify(doc, { lineWidth: 0 });
  return texts.join('---\n');
}

async function internalErrors(text: string): Promise<string[]> {
  const out = await analyzePaths({
    ...cliRunOptions({ analyzers: EVERY }),
    paths: ['-'],
    load: { stdin: text },
    failureThreshold: 'Error',
  });
  return out.findings
    .filter((f) => f.code === 'IST0001' || GARBLED.test(f.message))
    .map((f) => `${f.origin}: ${f.message}`);
}

/** What a message shows when it interpolates a value of the wrong type as it is. */
const GARBLED = /\[object Object\]|\bundefined\b(?! behavior)|\bNaN\b/;

describe('robustness: one hostile value at a time in every real document', () => {
  it('no analyzer fails on any of them', async () => {
    const failures: string[] = [];
    const kinds = new Set<string>();
    // Every kind an analyzer reads (but the mesh config and networks, which come from their own files).
    const read = new Set(
      EVERY.flatMap((a) => a.inputs.filter((k) => k !== '*' && !k.startsWith('mesh.istio.io/'))),
    );
    let runs = 0;
    for (const m of mutations()) {
      runs++;
      const { apiVersion, kind } = m.seed.docs[m.doc] as { apiVersion: unknown; kind: string };
      kinds.add(
        `${typeof apiVersion === 'string' && apiVersion.includes('/') ? apiVersion.split('/')[0] : 'core'}/${kind}`,
      );
      const where = `${relative(ROOT, m.seed.file)} document ${m.doc}: ${m.path.join('.')} = ${m.name}`;
      try {
        for (const e of await internalErrors(mutated(m))) failures.push(`${where} → ${e}`);
      } catch (err) {
        failures.push(`${where} → threw ${(err as Error).stack}`);
      }
    }
    expect(runs).toBeGreaterThan(20_000);
    expect([...read].filter((k) => !kinds.has(k))).toEqual([]);
    expect(failures.slice(0, 400)).toEqual([]);
  }, 600_000);
});

const CONFORMANCE = join(ROOT, '../shared/conformance/istio-analyze');
interface ConfigCase {
  inputFiles: string[];
  meshConfigFile: string | null;
  meshNetworksFile: string | null;
}
const configCases = (
  JSON.parse(readFileSync(join(CONFORMANCE, 'expected.json'), 'utf8')) as ConfigCase[]
).filter((c) => c.meshConfigFile || c.meshNetworksFile);
/** Documents of the kinds whose analyzers read the mesh config, analyzed with each case's own inputs. */
const CONFIG_READERS = [
  'examples/bookinfo',
  'test/fixtures/analyzers/virtualservice/jwt.yaml',
  'test/fixtures/analyzers/telemetry/shop.yaml',
  'test/fixtures/analyzers/serviceentry/protocols.yaml',
  'test/fixtures/analyzers/destinationrule/tls.yaml',
  'test/fixtures/analyzers/injection/image-auto.yaml',
].map((p) => join(ROOT, p));

describe('robustness: one hostile value at a time in the mesh config and mesh networks files', () => {
  it('no analyzer fails on any of them', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'mesh-odd-config-'));
    const failures: string[] = [];
    let runs = 0;
    for (const c of configCases) {
      const which = c.meshConfigFile ? 'meshConfig' : 'meshNetworks';
      const file = join(CONFORMANCE, (c.meshConfigFile ?? c.meshNetworksFile)!);
      // The config as the analyzers get it (defaults included), so that keys the file leaves out vary too.
      const read = which === 'meshConfig' ? loadMeshConfig : loadMeshNetworks;
      const base = read(file);
      for (const path of allPaths(base)) {
        for (const [name, value] of [...SHADOWING, ...WRONG]) {
          runs++;
          const changed = structuredClone(base);
          setAt(changed, path, value);
          const tmp = join(dir, 'config.yaml');
          writeFileSync(tmp, stringify(changed, { lineWidth: 0 }));
          const where = `${relative(ROOT, file)}: ${path.join('.')} = ${name}`;
          try {
            const out = await analyzePaths({
              ...cliRunOptions({ analyzers: EVERY, [which]: read(tmp) }),
              paths: [...c.inputFiles.map((f) => join(CONFORMANCE, f)), ...CONFIG_READERS],
              failureThreshold: 'Error',
            });
            for (const f of out.findings)
              if (f.code === 'IST0001') failures.push(`${where} → ${f.origin}: ${f.message}`);
          } catch (err) {
            failures.push(`${where} → threw ${(err as Error).stack}`);
          }
        }
      }
    }
    expect(runs).toBeGreaterThan(900);
    expect(failures.slice(0, 40)).toEqual([]);
  }, 300_000);
});

describe('robustness: names that are Object.prototype members', () => {
  const doc = `apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ name: constructor, port: 8080 }, { name: __proto__, port: 8081 }, { name: http, port: 80 }]
---
apiVersion: networking.istio.io/v1alpha3
kind: EnvoyFilter
metadata: { name: ef, namespace: shop }
spec:
  configPatches:
  - applyTo: NETWORK_FILTER
    match: { listener: { filterChain: { filter: { name: constructor } } } }
    patch: { operation: MERGE, value: { name: constructor } }
---
apiVersion: apiextensions.k8s.io/v1
kind: CustomResourceDefinition
metadata:
  name: constructor
  annotations: { gateway.networking.k8s.io/bundle-version: v1.0.0 }
spec: { group: x.example.com, names: { kind: X, plural: x }, scope: Namespaced, versions: [] }
`;

  it('are names like any other: no protocol, no deprecated filter, no failure', async () => {
    const out = await analyzePaths({
      ...cliRunOptions(),
      paths: ['-'],
      load: { stdin: doc },
      failureThreshold: 'Error',
    });
    const seen = out.findings.map((f) => `${f.code} ${f.message}`);
    // Port names Istio cannot read a protocol from, like any unknown name.
    expect(seen.filter((m) => m.startsWith('IST0118'))).toEqual([
      "IST0118 Port name __proto__ (port: 8081, targetPort: 0) doesn't follow the naming convention of Istio port.",
      "IST0118 Port name constructor (port: 8080, targetPort: 0) doesn't follow the naming convention of Istio port.",
    ]);
    expect(seen.filter((m) => m.includes('deprecated'))).toEqual([]);
    expect(seen.filter((m) => m.startsWith('IST0001'))).toEqual([]);
  });
});

/**
 * Findings whose messages quote values of the wrong type, through the CLI in every output format: the
 * renderers get the same text and must write it like any other.
 */
const ODD = '{ toString: "", valueOf: 1, toJSON: 1 }';
const ODD_DOCS = `apiVersion: v1
kind: Namespace
metadata: { name: shop }
---
apiVersion: v1
kind: Service
metadata: { name: web, namespace: shop }
spec:
  selector: { app: web }
  ports: [{ name: ${ODD}, port: ${ODD}, targetPort: ${ODD} }]
---
apiVersion: security.istio.io/v1
kind: AuthorizationPolicy
metadata: { name: ap, namespace: shop }
spec:
  rules: [{ from: [{ source: { namespaces: [${ODD}] } }] }]
---
apiVersion: gateway.networking.k8s.io/v1
kind: HTTPRoute
metadata: { name: r, namespace: shop }
spec: {}
status:
  parents:
  - conditions: [{ type: Accepted, status: "False", reason: ${ODD}, message: ${ODD} }]
---
apiVersion: v1
kind: Pod
metadata:
  name: p
  namespace: shop
  labels: { app: web }
  annotations:
    proxy.istio.io/config: |
      drainDuration: ${ODD}
spec:
  containers: [{ name: c, image: i }]
`;

describe('robustness: findings about hostile values in every output format', () => {
  const file = join(mkdtempSync(join(tmpdir(), 'mesh-odd-')), 'hostile-values.yaml');
  writeFileSync(file, ODD_DOCS);
  it.each(['log', 'json', 'yaml', 'sarif', 'github', 'junit', 'codeclimate'])('-o %s', async (format) => {
    const r = await runCli(['analyze', '-o', format, file]);
    expect(r.code).toBe(79);
    expect(r.stderr).toBe(format === 'log' ? `Error: Analyzers found issues when analyzing ${file}.\n` : '');
    // What each format says about the findings: the codes, and no internal error among them.
    const codes =
      format === 'json'
        ? JSON.parse(r.stdout).findings.map((f: { code: string }) => f.code)
        : format === 'yaml'
          ? parseYaml(r.stdout).findings.map((f: { code: string }) => f.code)
          : format === 'sarif'
            ? JSON.parse(r.stdout).runs[0].results.map((x: { ruleId: string }) => x.ruleId)
            : format === 'codeclimate'
              ? JSON.parse(r.stdout).map((x: { check_name: string }) => x.check_name)
              : (r.stdout.match(/IST\d{4}/g) ?? []);
    expect(codes).not.toContain('IST0001');
    for (const code of ['IST0101', 'IST0106', 'IST0118', 'IST0125', 'IST0171']) expect(codes).toContain(code);
  });
});
