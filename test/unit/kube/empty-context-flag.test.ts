/**
 * `--context ''` and `--kubeconfig ''` (a script's `--context "$CTX"` with CTX unset) are no flag, as
 * kubectl and istioctl read them: the kubeconfig of KUBECONFIG and its current context. Before, mesh
 * said `Error: kubeconfig F has no current context` (it has one) and `Error: kubeconfig  not found`,
 * exit 1. An empty --context does not name a protected context either: install, upgrade and uninstall
 * still refuse it.
 */
import { readFileSync } from 'node:fs';
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from './store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

const currentContext = (kubeconfig: string) =>
  /^current-context: (.*)$/m.exec(readFileSync(kubeconfig, 'utf8'))![1]!;

describe('empty --context and --kubeconfig', () => {
  it("tag list --context '' uses the current context; --kubeconfig '' uses KUBECONFIG", async () => {
    server = await startStoreApiServer();
    const a = await runCli(['tag', 'list', '--context', '', '--kubeconfig', server.kubeconfig], ENV);
    expect(a).toEqual({ code: 0, stdout: 'No Istio revision tags found.\n', stderr: '' });
    const b = await runCli(['tag', 'list', '--kubeconfig', '', '--context', ''], {
      ...ENV,
      KUBECONFIG: server.kubeconfig,
    });
    expect(b).toEqual(a);
    expect(server.requests.length).toBeGreaterThan(0);
  });

  it("uninstall --context '' of a protected current context is refused as without --context (exit 64)", async () => {
    server = await startStoreApiServer();
    const name = currentContext(server.kubeconfig);
    const r = await runCli(['uninstall', '-y', '--context', '', '--kubeconfig', server.kubeconfig], {
      ...ENV,
      MESH_PROTECTED_CONTEXTS: name,
    });
    expect(r.code, r.stderr).toBe(64);
    expect(r.stderr).toContain(`"${name}" is protected`);
  });
});
