/**
 * `mesh install` and `mesh uninstall` against a stand-in API server that stores objects: uninstall stays
 * in the install namespace the spec names, install refuses to take over objects mesh did not create
 * (unless --force), and `install --dry-run` exits 79 on a plan it would refuse.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from '../kube/store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const mesh = (...args: string[]) => runCli([...args, '--kubeconfig', server!.kubeconfig], ENV);

/** `- Kind/ns/name` lines of an output. */
const listed = (text: string) => text.split('\n').filter((l) => /^- \w+\//.test(l));

describe('mesh uninstall: only the install namespace the spec names', () => {
  it("--set namespace=istio-two removes istio-two's control plane and leaves istio-system's", async () => {
    server = await startStoreApiServer();
    expect((await mesh('install', '-y', '--set', 'profile=minimal')).code).toBe(0);
    const two = await mesh('install', '-y', '--set', 'profile=minimal', '--set', 'namespace=istio-two');
    expect(two.code, two.stderr).toBe(0);
    expect(server.get('deployments', 'istio-system', 'istiod')).toBeDefined();
    expect(server.get('deployments', 'istio-two', 'istiod')).toBeDefined();

    const dry = await mesh('uninstall', '--dry-run', '--set', 'namespace=istio-two');
    expect(dry.code, dry.stderr).toBe(0);
    const lines = listed(dry.stdout);
    expect(lines).toContain('- Deployment/istio-two/istiod');
    expect(lines.filter((l) => l.includes('/istio-system/'))).toEqual([]);

    // --purge (which takes no files or flags) is everything mesh installed, in both namespaces
    const purge = await mesh('uninstall', '--dry-run', '--purge');
    expect(purge.code).toBe(0);
    expect(listed(purge.stdout)).toContain('- Deployment/istio-system/istiod');
    expect(listed(purge.stdout)).toContain('- Deployment/istio-two/istiod');

    const un = await mesh('uninstall', '-y', '--no-wait', '--set', 'namespace=istio-two');
    expect(un.code, un.stderr).toBe(0);
    expect(listed(un.stderr)).toEqual(lines);
    expect(un.stderr).toContain('✔ Deleted');
    expect(server.get('deployments', 'istio-two', 'istiod')).toBeUndefined();
    expect(server.get('configmaps', 'istio-two', 'istio')).toBeUndefined();
    // istio-system's control plane is untouched: every object of it is still there
    expect(server.get('deployments', 'istio-system', 'istiod')).toBeDefined();
    expect(server.get('configmaps', 'istio-system', 'istio')).toBeDefined();
    expect(server.get('mutatingwebhookconfigurations', undefined, 'istio-sidecar-injector')).toBeDefined();
    // nothing of it to create again (the CRDs, shared, carry the last install's namespace label)
    const again = await mesh('install', '--dry-run', '--set', 'profile=minimal');
    expect(again.stdout).toMatch(/^Plan: 0 to create, \d+ to change, 0 to prune, \d+ unchanged\.$/m);
    expect(
      again.stdout
        .split('\n')
        .filter((l) => /^[~!] /.test(l) && !l.startsWith('~ CustomResourceDefinition/')),
    ).toEqual([]);
  });

  it('an IstioOperator file with spec.namespace selects the same; a spec without one, istio-system; -r alone, the revision everywhere', async () => {
    server = await startStoreApiServer();
    expect(
      (await mesh('install', '-y', '--set', 'profile=minimal', '--set', 'namespace=istio-two')).code,
    ).toBe(0);
    const none = await mesh('uninstall', '--dry-run', '--set', 'profile=minimal');
    expect(none.code).toBe(0);
    expect(none.stdout).toBe('');
    expect(none.stderr).toContain(
      'Nothing to remove: no objects of revision default installed by mesh in istio-system.',
    );
    const everywhere = await mesh('uninstall', '--dry-run', '-r', 'default');
    expect(listed(everywhere.stdout)).toContain('- Deployment/istio-two/istiod');
    const { mkdtempSync, writeFileSync } = await import('node:fs');
    const { join } = await import('node:path');
    const { tmpdir } = await import('node:os');
    const file = join(mkdtempSync(join(tmpdir(), 'mesh-iop-')), 'two.yaml');
    writeFileSync(
      file,
      'apiVersion: install.istio.io/v1alpha1\nkind: IstioOperator\nspec:\n  namespace: istio-two\n',
    );
    const byFile = await mesh('uninstall', '--dry-run', '-f', file);
    expect(byFile.code).toBe(0);
    expect(listed(byFile.stdout)).toContain('- Deployment/istio-two/istiod');
  });
});

/** ConfigMap `istio-radopt` as a user made it by hand (kubectl create), before mesh installed anything. */
const userConfigMap = {
  apiVersion: 'v1',
  kind: 'ConfigMap',
  metadata: { name: 'istio-radopt', namespace: 'istio-system' },
  data: { 'my-notes': 'precious user data' },
};

describe('mesh install: an existing object mesh did not create', () => {
  it('is shown as taken over; install refuses it (exit 1, nothing changed), --dry-run exits 79', async () => {
    server = await startStoreApiServer();
    server.put('configmaps', userConfigMap);
    const args = ['-r', 'radopt', '--set', 'profile=minimal'];
    const dry = await mesh('install', '--dry-run', ...args);
    expect(dry.code).toBe(79);
    const lines = dry.stdout.trimEnd().split('\n');
    expect(lines).toContain(
      '! ConfigMap/istio-system/istio-radopt: exists, not created by mesh (written by kubectl-create)',
    );
    expect(lines.filter((l) => l.startsWith('! '))).toHaveLength(1);
    expect(lines.at(-1)).toMatch(
      /^Plan: \d+ to create, 0 to change, 0 to prune, 0 unchanged, 1 to take over\.$/,
    );

    const before = server.keys();
    const run = await mesh('install', '-y', ...args);
    expect(run.code).toBe(1);
    expect(run.stderr.trimEnd().split('\n').slice(-2)).toEqual([
      'Error: ConfigMap/istio-system/istio-radopt: exists, not created by mesh (written by kubectl-create)',
      'Hint: mesh takes over only objects it created: re-run with --force to take it over, and uninstall then deletes it (nothing was changed)',
    ]);
    expect(server.keys()).toEqual(before);
    expect(server.get('configmaps', 'istio-system', 'istio-radopt').metadata.labels).toBeUndefined();
    // uninstall does not delete it either
    const un = await mesh('uninstall', '-y', '--no-wait', '-r', 'radopt');
    expect(un.code).toBe(0);
    expect(server.get('configmaps', 'istio-system', 'istio-radopt').data).toEqual(userConfigMap.data);
  });

  it("--force takes it over as before; a later install over mesh's own install plans nothing to take over", async () => {
    server = await startStoreApiServer();
    server.put('configmaps', userConfigMap);
    const args = ['-r', 'radopt', '--set', 'profile=minimal'];
    const dry = await mesh('install', '--dry-run', '--force', ...args);
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('! ConfigMap/istio-system/istio-radopt: exists, not created by mesh');
    const run = await mesh('install', '-y', '--force', ...args);
    expect(run.code, run.stderr).toBe(0);
    const cm = server.get('configmaps', 'istio-system', 'istio-radopt');
    expect(cm.metadata.labels['app.kubernetes.io/managed-by']).toBe('mesh');
    const again = await mesh('install', '--dry-run', ...args);
    expect(again.code).toBe(0);
    expect(again.stdout.trim().split('\n')).toEqual([
      expect.stringMatching(/^Plan: 0 to create, 0 to change, 0 to prune, \d+ unchanged\.$/),
    ]);
  });

  it('a Namespace made before installing is not a take-over', async () => {
    server = await startStoreApiServer();
    server.put('namespaces', { apiVersion: 'v1', kind: 'Namespace', metadata: { name: 'istio-system' } });
    const dry = await mesh('install', '--dry-run', '--set', 'profile=minimal');
    expect(dry.code).toBe(0);
    expect(dry.stdout).toContain('~ Namespace/istio-system');
    expect(dry.stdout).not.toContain('take over');
    expect((await mesh('install', '-y', '--set', 'profile=minimal')).code).toBe(0);
  });
});

describe('mesh install --dry-run: a plan with a conflict', () => {
  it('exits 79 (as manifest diff; the real install exits 1)', async () => {
    server = await startStoreApiServer({
      conflicts: { 'configmaps/istio-system/istio': 'conflict with "kubectl-edit" using v1: .data.mesh' },
    });
    expect((await mesh('install', '-y', '--set', 'profile=minimal')).code).toBe(0);
    const dry = await mesh('install', '--dry-run', '--set', 'profile=minimal');
    expect(dry.stdout).toContain(
      '! ConfigMap/istio-system/istio: conflict: Apply failed with 1 conflict: conflict with "kubectl-edit" using v1: .data.mesh',
    );
    expect(dry.code).toBe(79);
    expect((await mesh('manifest', 'diff', '--set', 'profile=minimal')).code).toBe(79);
    const run = await mesh('install', '-y', '--set', 'profile=minimal');
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('Error: ConfigMap/istio-system/istio: conflict: ');
    const forced = await mesh('install', '--dry-run', '--force', '--set', 'profile=minimal');
    expect(forced.code).toBe(0);
  });
});
