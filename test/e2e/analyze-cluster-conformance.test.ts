// Istio's own analyzer cases (../shared/conformance/istio-analyze) as a cluster holds them: each case's
// objects are created in a real API server (its own testbed, with Istio's CRDs), one case after the other,
// and `mesh analyze -A` and the testbed's `istioctl analyze -A` read that cluster. The findings on the
// case's objects must be the same (code, object, words; each once: istioctl collapses repeats, which
// carry no line in a cluster, where mesh keeps one per field path), and so must a failing exit code, but
// for the differences listed in fixtures/analyze-cluster-deviations.json, each with its reason. The file-mode replay
// (test/conformance/analyze-replay.test.ts) runs one analyzer per case; here every analyzer runs, with
// what a whole cluster means (what it does not hold does not exist). Then each case again as files over
// the cluster (`analyze -A --use-kube FILES`): its Services, Pods, Namespaces, Secrets and Nodes in the
// cluster (istioctl takes these from the cluster alone), everything else in files, with the differences
// listed in fixtures/analyze-overlay-deviations.json.
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { KubernetesObjectApi, type KubernetesObject } from '@kubernetes/client-node';
import { parseAllDocuments, stringify } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { istioCrds } from '../../src/install/crds.js';
import { apply, applyCrds, clientsFor, serverMessage } from './support/kube.js';
import { runIstioctl } from './support/istioctl.js';
import { runMesh, type MeshRun } from './support/mesh-cli.js';
import { startTestbed, type Testbed } from './support/testbed.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istio-analyze');

interface Case {
  uniqueName: string;
  inputFiles: string[];
  meshConfigFile: string | null;
  clusters?: unknown;
}
interface Finding {
  code: string;
  origin: string;
  message: string;
}
interface Deviation {
  only: 'mesh' | 'istioctl';
  key: string;
  why: string;
  /** istioctl's answer changes from run to run (Go map order): the difference happens only sometimes. */
  sometimes?: boolean;
}

// The multi-cluster case needs two clusters: test/e2e/analyze-multicluster.test.ts replays it.
const cases = (JSON.parse(readFileSync(join(ROOT, 'expected.json'), 'utf8')) as Case[]).filter(
  (c) => !c.clusters,
);
const deviations: Record<string, Deviation[]> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/analyze-cluster-deviations.json'), 'utf8'),
);
const overlayDeviations: Record<string, Deviation[]> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'fixtures/analyze-overlay-deviations.json'), 'utf8'),
);

/** Codes whose words are mesh's own, a documented difference (README): compared by code and object only. */
const OWN_WORDS = new Set(['IST0002', 'IST0106', 'IST0133']);
const key = (f: Finding) => `${f.code} ${f.origin}: ${OWN_WORDS.has(f.code) ? '…' : f.message}`;

let tb: Testbed;
let objects: KubernetesObjectApi;

beforeAll(async () => {
  tb = await startTestbed();
  const admin = clientsFor(tb.kubeconfig);
  await applyCrds(admin.kc, istioCrds() as KubernetesObject[]);
  objects = KubernetesObjectApi.makeApiClient(admin.kc);
}, 180_000);

afterAll(async () => {
  await tb?.stop();
});

/** `Kind ns/name` (or `Kind name`), as both tools name an object. */
const originOf = (o: KubernetesObject) =>
  `${o.kind} ${o.metadata!.namespace ? `${o.metadata!.namespace}/` : ''}${o.metadata!.name}`;

/** The case's documents that are objects, in the order of its files. */
function caseObjects(c: Case): { file: string; object: KubernetesObject }[] {
  return c.inputFiles.flatMap((file) =>
    parseAllDocuments(readFileSync(join(ROOT, file), 'utf8'))
      .map((doc) => doc.toJS() as KubernetesObject | null)
      .filter((o): o is KubernetesObject => !!o?.kind && !!o.metadata?.name)
      .map((object) => ({ file, object })),
  );
}

/**
 * Creates those of `wanted` that the API server accepts (upstream's inputs include ones it refuses: those
 * are files-only cases), in the default namespace when they name none, as `kubectl apply` would.
 */
async function createObjects(wanted: KubernetesObject[]): Promise<KubernetesObject[]> {
  const created: KubernetesObject[] = [];
  for (const o of wanted) {
    const ns = o.metadata!.namespace;
    if (ns) await ensureNamespace(ns);
    try {
      // Namespaces are applied (several cases label `default`), everything else created
      if (o.kind === 'Namespace') await apply(objects, o);
      else await objects.create(o);
      created.push(o);
    } catch (err) {
      serverMessage(err); // refused by the API server (invalid, or a kind it does not serve): not part of the case
    }
  }
  return created;
}

/** Namespaces known to exist (they outlive the cases: no namespace controller runs here). */
const namespaces = new Set<string>();

async function ensureNamespace(name: string): Promise<void> {
  if (namespaces.has(name)) return;
  try {
    await objects.read({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  } catch {
    await objects.create({ apiVersion: 'v1', kind: 'Namespace', metadata: { name } });
  }
  namespaces.add(name);
}

/**
 * Removes the case's objects. Namespaces cannot be deleted here (no namespace controller runs): their
 * labels and annotations are applied away instead, so that no case sees another's.
 */
async function removeCase(created: KubernetesObject[]): Promise<void> {
  for (const o of created.reverse()) {
    if (o.kind === 'Namespace')
      await apply(objects, { apiVersion: 'v1', kind: 'Namespace', metadata: { name: o.metadata!.name } });
    else await objects.delete(o, undefined, undefined, 0).catch(() => undefined);
  }
}

/** The testbed's istioctl, without blocking the event loop. */
const istioctl = (args: string[]) => runIstioctl(tb.binDir, args);

/**
 * Runs `mesh <args>` and `istioctl <args>` and compares the distinct findings on the objects named in
 * `ours` (and a failing exit code): every difference is a listed one, and every listed one (but those
 * that only sometimes happen) still happens.
 */
async function expectSameFindings(args: string[], ours: Set<string>, listed: Deviation[]): Promise<void> {
  const [mesh, oracle] = await Promise.all([runMesh(args), istioctl(args)]);
  /** The distinct findings on the case's objects, and the exit code unless it is 0 or 79. */
  const keys = (run: MeshRun, findings: Finding[]) => [
    ...new Set(findings.filter((f) => ours.has(f.origin)).map(key)),
    ...([0, 79].includes(run.code) ? [] : [`exit ${run.code}`]),
  ];
  const meshKeys = keys(mesh, mesh.stdout ? JSON.parse(mesh.stdout).findings : []);
  // (istioctl may log before its JSON, and prints none when it fails)
  const json = oracle.stdout.search(/^\[/m);
  const oracleKeys = keys(oracle, json < 0 ? [] : JSON.parse(oracle.stdout.slice(json)));
  const only = {
    mesh: meshKeys.filter((k) => !oracleKeys.includes(k)).sort(),
    istioctl: oracleKeys.filter((k) => !meshKeys.includes(k)).sort(),
  };
  for (const side of ['mesh', 'istioctl'] as const) {
    const allowed = new Set(listed.filter((d) => d.only === side).map((d) => d.key));
    expect(
      only[side].filter((k) => !allowed.has(k)),
      `only ${side}`,
    ).toEqual([]);
  }
  for (const d of listed.filter((x) => !x.sometimes))
    expect(only[d.only], `stale: ${d.why}`).toContain(d.key);
}

const meshConfigArgs = (c: Case) =>
  c.meshConfigFile ? ['--meshConfigFile', join(ROOT, c.meshConfigFile)] : [];

describe('the upstream analyzer cases in a cluster, as istioctl analyzes them', () => {
  it.each(cases.map((c) => [c.uniqueName, c] as const))('%s', async (_, c) => {
    const created = await createObjects(caseObjects(c).map((d) => d.object));
    try {
      const args = ['analyze', '-A', '--kubeconfig', tb.kubeconfig, '-o', 'json', ...meshConfigArgs(c)];
      await expectSameFindings(args, new Set(created.map(originOf)), deviations[c.uniqueName] ?? []);
    } finally {
      await removeCase(created);
    }
  });
});

/**
 * The kinds istioctl takes from the cluster alone when files are analyzed over it (README: files over a
 * cluster): with these in the cluster and everything else in files, both tools see the same objects.
 */
const CLUSTER_KINDS = new Set(['Service', 'Pod', 'Namespace', 'Secret', 'Node']);

describe('the upstream analyzer cases as files over a cluster that holds their Services, Pods, Namespaces, Secrets and Nodes', () => {
  it.each(cases.map((c) => [c.uniqueName, c] as const))('%s', async (_, c) => {
    const docs = caseObjects(c);
    const created = await createObjects(
      docs.filter((d) => CLUSTER_KINDS.has(d.object.kind!)).map((d) => d.object),
    );
    const dir = mkdtempSync(join(tmpdir(), 'mesh-overlay-'));
    try {
      const inFiles = docs.filter((d) => !CLUSTER_KINDS.has(d.object.kind!));
      const files = [...new Set(inFiles.map((d) => d.file))].map((file, i) => {
        const path = join(dir, `${i}-${basename(file)}`);
        const text = inFiles.filter((d) => d.file === file).map((d) => stringify(d.object));
        writeFileSync(path, text.join('---\n'));
        return path;
      });
      const args = [
        'analyze',
        '-A',
        '--use-kube',
        '--kubeconfig',
        tb.kubeconfig,
        '-o',
        'json',
        ...meshConfigArgs(c),
        ...files,
      ];
      const ours = new Set([...created, ...inFiles.map((d) => d.object)].map(originOf));
      await expectSameFindings(args, ours, overlayDeviations[c.uniqueName] ?? []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
      await removeCase(created);
    }
  });
});
