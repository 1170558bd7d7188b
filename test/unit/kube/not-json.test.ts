// A kubeconfig whose server answers every request with 200 and an HTML page (a proxy's login page):
// every command that reads the cluster must stop at the first answer with one line naming the server,
// the request and what came instead, exit 1. Before, client-node read the page as an empty object:
// analyze and the pod commands failed with TypeErrors ('items is not iterable', 'pod undefined.undefined
// has no istio-proxy container'), check and precheck reported made-up problems (exit 79), and
// `install --dry-run` said 'Plan: 0 to create, … 39 unchanged' and `uninstall` 'Nothing to remove', exit 0.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { LOGIN_PAGE, startHtmlServer, type HtmlServer } from '../../support/html-server.js';

let server: HtmlServer;
beforeAll(async () => {
  server = await startHtmlServer();
});
afterAll(() => server.close());

const cases: Array<[string[], string]> = [
  [['analyze'], 'GET /apis'],
  [['proxy-status'], 'GET /api/v1/namespaces/istio-system/pods'],
  [['certs', '-A'], 'GET /api/v1/pods'],
  [['drift', '-n', 'shop'], 'GET /api/v1/namespaces/shop/pods'],
  [['proxy-config', 'cluster', 'web-0.shop'], 'GET /api/v1/namespaces/shop/pods/web-0'],
  [['authz', 'check', 'web-0.shop'], 'GET /api/v1/namespaces/shop/pods/web-0'],
  [
    [
      'kube-inject',
      '-f',
      'examples/bookinfo/20-deployments.yaml',
      '--injectConfigMapName',
      'istio-sidecar-injector',
    ],
    'GET /api/v1/namespaces/istio-system/configmaps/istio-sidecar-injector',
  ],
  [['precheck'], 'GET /version'],
  [['check'], 'GET /apis/admissionregistration.k8s.io/v1/mutatingwebhookconfigurations'],
  [['install', '--dry-run'], 'GET /apis/apps/v1/namespaces/istio-system/deployments/istiod'],
  [['uninstall', '--dry-run'], 'GET /apis/apiextensions.k8s.io/v1/customresourcedefinitions'],
];

describe('an API server address that answers with an HTML page', () => {
  it.each(cases)(
    'mesh %j stops with one line naming the server and the request, exit 1',
    async (args, what) => {
      const r = await runCli([...args, '--kubeconfig', server.kubeconfig]);
      expect(r.code).toBe(1);
      const lines = r.stderr
        .trim()
        .split('\n')
        .filter((l) => !l.startsWith('Context: '));
      expect(lines).toEqual([
        `Error: the Kubernetes API server ${server.url} answered ${what} with text/html; charset=utf-8, not a JSON object: ${JSON.stringify(LOGIN_PAGE)}`,
        'Hint: check that the server of context "html" is the cluster\'s API server',
      ]);
      expect(r.stdout).not.toMatch(/unchanged|Nothing to remove|Status:/);
    },
  );
});
