/**
 * `mesh install -r NAME` where a revision tag NAME exists. `mesh tag set` refuses a tag named as an
 * installed revision; the reverse went through: install created revision prod's injector next to tag
 * prod's, both taking istio.io/rev=prod namespaces (pods injected twice), exit 0; only precheck and check
 * said so afterwards. Now install refuses it before changing anything (exit 1), and --dry-run says
 * install would refuse it (exit 79).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from '../kube/store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const MESSAGE =
  'revision tag "prod" exists (MutatingWebhookConfiguration/istio-revision-tag-prod, pointing at revision default): a revision named prod would inject the pods of istio.io/rev=prod namespaces a second time';
const HINT =
  'Hint: a tag and a revision cannot share a name: remove the tag first (mesh tag remove prod), or install with another --revision';

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

async function withTag() {
  server = await startStoreApiServer();
  server.put(
    'mutatingwebhookconfigurations',
    {
      apiVersion: 'admissionregistration.k8s.io/v1',
      kind: 'MutatingWebhookConfiguration',
      metadata: {
        name: 'istio-revision-tag-prod',
        labels: { 'istio.io/rev': 'default', 'istio.io/tag': 'prod' },
      },
      webhooks: [],
    },
    'istio-ci',
  );
  return server;
}

const install = (s: StoreApiServer, ...args: string[]) =>
  runCli(['install', '--set', 'profile=minimal', ...args, '--kubeconfig', s.kubeconfig], ENV);

describe('install -r NAME of an existing revision tag', () => {
  it('is refused before anything changes (exit 1)', async () => {
    const s = await withTag();
    const keys = s.keys();
    const r = await install(s, '-r', 'prod', '-y');
    expect(r.code).toBe(1);
    expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      `Error: ${MESSAGE}; nothing was changed`,
      HINT,
    ]);
    expect(s.keys()).toEqual(keys);
  }, 30_000);

  it('--dry-run prints the plan and says install would refuse it (exit 79)', async () => {
    const s = await withTag();
    const r = await install(s, '-r', 'prod', '--dry-run');
    expect(r.code).toBe(79);
    expect(r.stdout).toContain('+ Deployment/istio-system/istiod-prod\n');
    expect(r.stderr.trimEnd().split('\n').slice(-2)).toEqual([`install would refuse: ${MESSAGE}`, HINT]);
  }, 30_000);

  it('another revision name installs as before', async () => {
    const s = await withTag();
    const r = await install(s, '-r', 'canary', '-y');
    expect(r.code, r.stderr).toBe(0);
    expect(s.get('deployments', 'istio-system', 'istiod-canary')).toBeDefined();
  }, 30_000);
});

// (the same fake API server, another install flag)
describe('install --dry-run --verify', () => {
  it('says that there is nothing to verify (the plan only, no check)', async () => {
    // Before: --verify was passed over in silence, and a user could take the exit 0 for a verified install
    server = await startStoreApiServer();
    const r = await install(server, '--dry-run', '--verify');
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toContain('+ Deployment/istio-system/istiod\n');
    expect(r.stdout).not.toContain('Control plane');
    expect(r.stderr.trimEnd().split('\n').at(-1)).toBe(
      'note: --verify is not applicable with --dry-run: nothing was installed to check',
    );
  }, 30_000);
});
