// readCluster (what `mesh analyze` reads from a live cluster) against small fake API servers that answer
// as kube-apiserver does on the wire, but for one fault each: a kind too big to spread into a call, a list
// or a discovery document that fails, pagination that never ends, lists that never answer, and answers
// that are JSON but not the shape Kubernetes gives.
import { afterEach, describe, expect, it } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { readCluster, type ClusterReadOptions } from '../../../src/kube/cluster.js';
import { runAnalyzers } from '../../../src/analyzers/run.js';
import { cliRunOptions } from '../../support/analyze.js';
import { runCli } from '../../support/cli.js';
import {
  groupList,
  list,
  NETWORKING,
  networkingV1,
  resourceList,
  startFakeApiServer,
  status,
  type Answer,
  type FakeApiServer as FakeApi,
} from '../../support/fake-api-server.js';

let fake: FakeApi | undefined;
afterEach(async () => {
  await fake?.close();
  fake = undefined;
});

const NETWORKING_V1 = networkingV1(
  ['destinationrules', 'DestinationRule'],
  ['virtualservices', 'VirtualService'],
);

const VS = { metadata: { name: 'reviews', namespace: 'shop' }, spec: { hosts: ['reviews'] } };

/** A fake API server, closed after the test: `answer` decides, else an empty cluster. */
async function startFakeApi(answer: (path: string, query: URLSearchParams) => Answer | undefined) {
  fake = await startFakeApiServer((_method, path, query) => answer(path, query));
  return fake;
}

function read(api: FakeApi, opts: Partial<ClusterReadOptions> = {}) {
  return readCluster(loadKubeContext({ kubeconfig: api.kubeconfig }), {
    istioNamespace: 'istio-system',
    timeoutMs: 10_000,
    ...opts,
  });
}

/** The message the read fails with. */
async function failure(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (err) {
    return (err as Error).message;
  }
  throw new Error('the read succeeded');
}

/** A fake server that discovers networking.istio.io/v1 and answers `answers` by path. */
function networking(answers: Record<string, Answer>) {
  return startFakeApi((path) => {
    if (path === '/apis') return groupList([NETWORKING]);
    if (path === '/apis/networking.istio.io/v1') return NETWORKING_V1;
    return answers[path];
  });
}

describe('readCluster', () => {
  // `resources.push(...list)` passed every object of a kind as an argument: from about 125,000 objects
  // it overflowed the stack, reported as if the server were unreachable.
  it('reads a kind of 130,000 objects (260 pages of 500)', async () => {
    const total = 130_000;
    const api = await startFakeApi((path, query) => {
      if (path !== '/api/v1/secrets') return undefined;
      const start = Number(query.get('continue') ?? 0);
      const end = Math.min(total, start + Number(query.get('limit')));
      const items = [];
      for (let i = start; i < end; i++)
        items.push({ metadata: { name: `s${i}`, namespace: 'shop' }, type: 'Opaque', data: { k: 'dg==' } });
      return list(items, end < total ? String(end) : undefined);
    });
    const cluster = await read(api);
    expect(cluster.resources.filter((r) => r.kind === 'Secret')).toHaveLength(total);
    expect(api.requests.filter((r) => r === 'GET /api/v1/secrets')).toHaveLength(260);
  });

  it('goes on without a kind whose list answers 404 (its CRD was deleted after discovery)', async () => {
    const api = await networking({
      '/apis/networking.istio.io/v1/destinationrules': status(
        404,
        'NotFound',
        'the server could not find the requested resource',
      ),
      '/apis/networking.istio.io/v1/virtualservices': list([VS]),
    });
    const cluster = await read(api);
    expect(cluster.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'VirtualService shop/reviews',
    ]);
    expect(cluster.denied).toEqual([]);
  });

  it('goes on without a group version whose discovery answers 404 (removed after GET /apis)', async () => {
    const api = await startFakeApi((path) => {
      if (path === '/apis') return groupList([NETWORKING]);
      if (path === '/apis/networking.istio.io/v1')
        return status(404, 'NotFound', 'the server could not find the requested resource');
      return undefined;
    });
    const cluster = await read(api);
    expect(cluster.listed.some((t) => t.group === 'networking.istio.io')).toBe(false);
    expect(cluster.denied).toEqual([]);
  });

  it('a list that fails (5xx, or a status that is not a Status) ends the read naming the kind and the request', async () => {
    const api = await networking({
      '/apis/networking.istio.io/v1/destinationrules': status(
        503,
        'ServiceUnavailable',
        'the server is currently unable to handle the request',
      ),
    });
    expect(await failure(read(api))).toBe(
      `the Kubernetes API server ${api.url} failed to list destinationrules.networking.istio.io (GET /apis/networking.istio.io/v1/destinationrules): the server is currently unable to handle the request`,
    );
    await api.close();
    const pods = await startFakeApi((path) =>
      path === '/api/v1/pods' ? { status: 500, body: 'etcd is down' } : undefined,
    );
    expect(await failure(read(pods))).toBe(
      `the Kubernetes API server ${pods.url} failed to list pods (GET /api/v1/pods): unexpected status code 500: etcd is down`,
    );
  });

  it("a 403 on a group version's discovery is recorded as denied, and the rest is read", async () => {
    const api = await startFakeApi((path) => {
      if (path === '/apis') return groupList([NETWORKING]);
      if (path === '/apis/networking.istio.io/v1')
        return status(
          403,
          'Forbidden',
          'forbidden: User "ci" cannot get path "/apis/networking.istio.io/v1"',
        );
      if (path === '/api/v1/namespaces') return list([{ metadata: { name: 'shop' } }]);
      return undefined;
    });
    const cluster = await read(api);
    expect(cluster.denied).toEqual([
      {
        key: 'networking.istio.io/*',
        kind: 'API discovery',
        resource: 'networking.istio.io/v1',
        verb: 'get',
        message: 'forbidden: User "ci" cannot get path "/apis/networking.istio.io/v1"',
      },
    ]);
    expect(cluster.resources.map((r) => `${r.kind} ${r.name}`)).toEqual(['Namespace shop']);
  });

  // An aggregated API in an *.istio.io group whose backend was down (503) ended the whole read: no
  // finding at all, where istioctl analyzed the rest.
  it("a group version the server fails to serve (an aggregated API's 503) is recorded, and the rest is read", async () => {
    const api = await startFakeApi((path) => {
      if (path === '/apis')
        return groupList([
          NETWORKING,
          {
            name: 'ext.istio.io',
            versions: [{ groupVersion: 'ext.istio.io/v1alpha1', version: 'v1alpha1' }],
            preferredVersion: { groupVersion: 'ext.istio.io/v1alpha1', version: 'v1alpha1' },
          },
        ]);
      if (path === '/apis/ext.istio.io/v1alpha1') return { status: 503, body: 'service unavailable' };
      if (path === '/apis/networking.istio.io/v1') return NETWORKING_V1;
      if (path === '/apis/networking.istio.io/v1/virtualservices') return list([VS]);
      return undefined;
    });
    const cluster = await read(api);
    expect(cluster.denied).toEqual([
      {
        key: 'ext.istio.io/*',
        kind: 'API discovery',
        resource: 'ext.istio.io/v1alpha1',
        verb: 'get',
        message: 'service unavailable',
        failedWith: 503,
      },
    ]);
    expect(cluster.resources.map((r) => `${r.kind} ${r.namespace}/${r.name}`)).toEqual([
      'VirtualService shop/reviews',
    ]);
    // the run goes on (to its findings on the VirtualService), with one warning that says what the server answered
    const r = await runCli(['analyze', '-A', '--kubeconfig', api.kubeconfig, '-o', 'json']);
    expect(r.code, r.stderr).toBe(79);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: cannot get ext.istio.io/v1alpha1 (API discovery) on ${api.url} (it answered 503: service unavailable): analyzers that read it are skipped`,
    ]);
    expect(JSON.parse(r.stdout).summary.cluster.objects).toBe(1);
  });

  // A CRD that added a newer version and preferred it had its objects read at that version, which mesh
  // has no schema for: the kind's schema checks were off, without a word.
  it('reads each Istio kind at a version mesh knows, though the group prefers a newer one', async () => {
    const version = (v: string) => ({ groupVersion: `networking.istio.io/${v}`, version: v });
    const api = await startFakeApi((path) => {
      if (path === '/apis')
        return groupList([
          {
            name: 'networking.istio.io',
            versions: [version('v2'), version('v1')],
            preferredVersion: version('v2'),
          },
        ]);
      if (path === '/apis/networking.istio.io/v2')
        return resourceList('networking.istio.io/v2', [
          { name: 'virtualservices', kind: 'VirtualService', namespaced: true, verbs: ['list'] },
          { name: 'meshpolicies', kind: 'MeshPolicy', namespaced: true, verbs: ['list'] },
        ]);
      if (path === '/apis/networking.istio.io/v1') return NETWORKING_V1;
      if (path === '/apis/networking.istio.io/v1/virtualservices')
        return list([
          { metadata: { name: 'noroutes', namespace: 'shop' }, spec: { hosts: ['x.example.com'] } },
        ]);
      return undefined;
    });
    const cluster = await read(api);
    expect(
      cluster.listed.filter((t) => t.group === 'networking.istio.io').map((t) => `${t.kind} ${t.version}`),
    ).toEqual(['DestinationRule v1', 'MeshPolicy v2', 'VirtualService v1']);
    // and through the CLI: a VirtualService without routes gets its schema finding again
    const r = await runCli(['analyze', '-A', '--kubeconfig', api.kubeconfig, '-o', 'json']);
    const codes = (JSON.parse(r.stdout).findings as Array<Record<string, string>>).map(
      (f) => `${f.code} ${f.kind} ${f.namespace}/${f.name}`,
    );
    expect(codes).toContain('IST0106 VirtualService shop/noroutes');
    expect(api.requests).not.toContain('GET /apis/networking.istio.io/v2/virtualservices');
  });

  // A known Istio kind served only in a version mesh does not know was read as it came and never
  // schema-checked, without a word, and analyzers read fields of another shape.
  it('an Istio kind served only in versions mesh does not know is not read: one warning names them and its analyzers are skipped', async () => {
    const version = (v: string) => ({ groupVersion: `networking.istio.io/${v}`, version: v });
    const api = await startFakeApi((path) => {
      if (path === '/apis')
        return groupList([
          {
            name: 'networking.istio.io',
            versions: [version('v2'), version('v1')],
            preferredVersion: version('v2'),
          },
        ]);
      if (path === '/apis/networking.istio.io/v2')
        return resourceList('networking.istio.io/v2', [
          { name: 'virtualservices', kind: 'VirtualService', namespaced: true, verbs: ['list'] },
        ]);
      if (path === '/apis/networking.istio.io/v1')
        return resourceList('networking.istio.io/v1', [
          { name: 'destinationrules', kind: 'DestinationRule', namespaced: true, verbs: ['list'] },
        ]);
      if (path === '/apis/networking.istio.io/v2/virtualservices') return list([VS]);
      return undefined;
    });
    const cluster = await read(api);
    expect(
      cluster.listed.filter((t) => t.group === 'networking.istio.io').map((t) => `${t.kind} ${t.version}`),
    ).toEqual(['DestinationRule v1']);
    expect(api.requests).not.toContain('GET /apis/networking.istio.io/v2/virtualservices');
    const r = await runCli(['analyze', '-A', '--kubeconfig', api.kubeconfig, '-v']);
    expect(r.code, r.stderr).toBe(0);
    const lines = r.stderr.split('\n');
    expect(lines.filter((l) => l.startsWith('warning:'))).toEqual([
      `warning: cannot list virtualservices.networking.istio.io (VirtualService) on ${api.url} (served only as networking.istio.io/v2, which mesh does not know; it reads v1, v1beta1, v1alpha3): analyzers that read it are skipped`,
      expect.stringMatching(/^warning: skipped \d+ analyzer\(s\) that read those kinds: .*VirtualService/),
    ]);
    expect(lines.at(-2)).toMatch(
      /^✔ No validation issues found when analyzing the cluster at .* \(but \d+ analyzer\(s\) were skipped: kinds they read could not be read\)\.$/,
    );
  });

  // An expired continue token (410: the list took longer than etcd keeps its version) ended the read;
  // client-go's pager lists again, whole.
  it('a continue token the server no longer knows (410 Expired): the list is read again, whole, once', async () => {
    const seen: string[] = [];
    const api = await startFakeApi((path, query) => {
      if (path !== '/api/v1/services') return undefined;
      seen.push(query.toString());
      const svc = (name: string) => ({ metadata: { name, namespace: 'shop' }, spec: {} });
      if (query.get('continue') === 'p2')
        return status(410, 'Expired', 'The provided continue parameter is too old');
      if (query.get('limit')) return list([svc('a'), svc('b')], 'p2');
      return list([svc('a'), svc('b'), svc('c')]);
    });
    const cluster = await read(api);
    expect(cluster.resources.filter((r) => r.kind === 'Service').map((r) => r.name)).toEqual(['a', 'b', 'c']);
    expect(seen).toEqual(['limit=500', 'limit=500&continue=p2', '']);
  });

  it('mesh analyze warns once about a group version it may not discover and skips the analyzers of its kinds', async () => {
    const api = await startFakeApi((path) => {
      if (path === '/apis') return groupList([NETWORKING]);
      if (path === '/apis/networking.istio.io/v1') return status(403, 'Forbidden', 'forbidden');
      return undefined;
    });
    const r = await runCli(['analyze', '--kubeconfig', api.kubeconfig, '-o', 'json']);
    expect(r.code, r.stderr).toBe(0);
    const warnings = r.stderr.split('\n').filter((l) => l.includes('networking.istio.io/v1'));
    expect(warnings).toEqual([
      `warning: cannot get networking.istio.io/v1 (API discovery) on ${api.url}: analyzers that read it are skipped`,
    ]);
    const report = JSON.parse(r.stdout);
    expect(report.summary.cluster.denied).toEqual(['get networking.istio.io/v1']);
    const skipped = report.skippedAnalyzers as Array<{ analyzer: string; reason: string }>;
    expect(skipped.map((s) => s.analyzer)).toContain('virtualservice.GatewayAnalyzer');
    // one reason per denied group version, however many of its kinds an analyzer reads
    expect(new Set(skipped.map((s) => s.reason))).toEqual(new Set(['cannot get networking.istio.io/v1']));
  });

  // A server that gives the same continue token again was asked for the same page thousands of times a
  // second until --timeout (forever with --timeout 0).
  it('a continue token given twice ends the read naming the server and the request', async () => {
    const api = await startFakeApi((path) => (path === '/api/v1/services' ? list([], 'again') : undefined));
    expect(await failure(read(api, { timeoutMs: 0 }))).toBe(
      `the Kubernetes API server ${api.url} returned the same continue token twice for GET /api/v1/services: its pagination is broken`,
    );
    expect(api.requests.filter((r) => r === 'GET /api/v1/services')).toHaveLength(2);
  });

  // The timeout named whichever list had started last, not the one that never answered.
  it("the whole read's timeout names the requests still waiting for an answer", async () => {
    const one = await startFakeApi((path) => (path === '/api/v1/pods' ? 'hang' : undefined));
    expect(await failure(read(one, { timeoutMs: 1000 }))).toBe(
      `timed out after 1s reading the cluster from the Kubernetes API server ${one.url} (waiting for GET /api/v1/pods)`,
    );
    await one.close();
    const hung = ['/api/v1/namespaces', '/api/v1/services', '/api/v1/pods', '/api/v1/secrets'];
    const four = await startFakeApi((path) => (hung.includes(path) ? 'hang' : undefined));
    expect(await failure(read(four, { timeoutMs: 1000 }))).toBe(
      `timed out after 1s reading the cluster from the Kubernetes API server ${four.url} (waiting for GET /api/v1/namespaces, GET /api/v1/services, GET /api/v1/pods, …)`,
    );
  });

  it.each<[string, unknown, string]>([
    ['items: "garbage"', 'garbage', '"items" is not an array'],
    ['items: {}', {}, '"items" is not an array'],
    ['items: [null]', [null], '"items[0]" is not an object'],
    ['items: [VS, "x"]', [VS, 'x'], '"items[1]" is not an object'],
    ['items: [{metadata: 1}]', [{ metadata: 1 }], '"items[0].metadata" is not an object'],
  ])('a list answer with %s is one error naming the request', async (_, items, problem) => {
    const api = await networking({ '/apis/networking.istio.io/v1/virtualservices': list(items) });
    expect(await failure(read(api))).toBe(
      `the Kubernetes API server ${api.url} answered GET /apis/networking.istio.io/v1/virtualservices with a malformed list: ${problem}`,
    );
  });

  it('a list answer without items, or with items: null, is an empty list', async () => {
    const api = await networking({
      '/apis/networking.istio.io/v1/virtualservices': { body: { kind: 'List', metadata: {} } },
      '/apis/networking.istio.io/v1/destinationrules': list(null),
    });
    expect((await read(api)).resources).toEqual([]);
  });

  it.each<[string, unknown[], unknown, string]>([
    [
      'groups: {}',
      [],
      { kind: 'APIGroupList', groups: {} },
      'answered GET /apis with a malformed API group list: "groups" is not an array',
    ],
    [
      'versions: "v1"',
      [],
      { kind: 'APIGroupList', groups: [{ ...NETWORKING, versions: 'v1' }] },
      'answered GET /apis with a malformed API group list: "groups[0].versions" is not an array',
    ],
    [
      'a version without a name',
      [],
      { kind: 'APIGroupList', groups: [{ ...NETWORKING, versions: [{}] }] },
      'answered GET /apis with a malformed API group list: "groups[0].versions[0].version" is not a string',
    ],
    [
      'verbs: "list"',
      [{ name: 'virtualservices', kind: 'VirtualService', namespaced: true, verbs: 'list' }],
      undefined,
      'answered GET /apis/networking.istio.io/v1 with a malformed API resource list: "resources[0].verbs" is not an array',
    ],
    [
      'resources: [null]',
      [null],
      undefined,
      'answered GET /apis/networking.istio.io/v1 with a malformed API resource list: "resources[0]" is not an object',
    ],
  ])('a discovery answer with %s is one error naming the request', async (_, resources, apis, problem) => {
    const api = await startFakeApi((path) => {
      if (path === '/apis') return apis ? { body: apis } : groupList([NETWORKING]);
      if (path === '/apis/networking.istio.io/v1') return resourceList('networking.istio.io/v1', resources);
      return undefined;
    });
    expect(await failure(read(api))).toBe(`the Kubernetes API server ${api.url} ${problem}`);
  });

  // client-go (kubectl) decodes a missing field as empty: a group without versions serves nothing, a
  // resource without verbs cannot be listed.
  it('a group without versions, or a resource without verbs, is not read', async () => {
    const api = await startFakeApi((path) => {
      if (path === '/apis') return groupList([{ name: 'security.istio.io' }, NETWORKING]);
      if (path === '/apis/networking.istio.io/v1')
        return resourceList('networking.istio.io/v1', [
          { name: 'destinationrules', kind: 'DestinationRule', namespaced: true },
          { name: 'virtualservices', kind: 'VirtualService', namespaced: true, verbs: ['list'] },
        ]);
      if (path === '/apis/networking.istio.io/v1/virtualservices') return list([VS]);
      return undefined;
    });
    const cluster = await read(api);
    expect(cluster.listed.filter((t) => t.group.endsWith('istio.io')).map((t) => t.kind)).toEqual([
      'VirtualService',
    ]);
    expect(cluster.resources.map((r) => r.kind)).toEqual(['VirtualService']);
    expect(api.requests).not.toContain('GET /apis/security.istio.io/v1');
  });
});

describe('analyzers skipped for kinds that could not be read', () => {
  it('give each reason once, however many of their inputs it covers', () => {
    const analyzer = {
      name: 'test.Twice',
      description: 'reads Pods twice over',
      codes: [],
      inputs: ['core/Pod', 'core/Pod', 'apps/Deployment'],
      analyze: () => {},
    };
    const run = runAnalyzers(
      [],
      cliRunOptions({
        analyzers: [analyzer],
        unreadable: new Map([
          ['core/Pod', 'cannot list pods'],
          ['apps/Deployment', 'cannot list deployments.apps'],
        ]),
      }),
    );
    expect(run.skipped).toEqual([
      { name: 'test.Twice', reason: 'cannot list pods, cannot list deployments.apps', unreadable: true },
    ]);
  });
});

describe("the control plane's istio ConfigMap", () => {
  // A data.mesh that was not YAML was dropped without a word: the defaults were analyzed in its place.
  it('a data.mesh or data.meshNetworks that is not a YAML map is a warning naming it, and the rest is analyzed', async () => {
    const api = await startFakeApi((path) =>
      path === '/api/v1/namespaces/istio-system/configmaps'
        ? list([
            {
              metadata: { name: 'istio', namespace: 'istio-system' },
              data: { mesh: 'defaultConfig: [unclosed', meshNetworks: '- a list' },
            },
          ])
        : undefined,
    );
    const r = await runCli(['analyze', '-A', '--kubeconfig', api.kubeconfig, '-o', 'json']);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).findings).toEqual([]);
    expect(r.stderr.split('\n').filter((l) => l.startsWith('warning:'))).toEqual([
      'warning: ConfigMap istio-system/istio data.mesh (line 2, column 1 of it): YAML syntax error: unexpected end of the stream within a flow collection: the default mesh config is analyzed instead',
      'warning: ConfigMap istio-system/istio data.meshNetworks is not a YAML map: no mesh networks are analyzed',
    ]);
  });
});
