/**
 * `mesh uninstall -r NAME` with a name no revision can have. Before, uninstall took any -r: `-r Canary`
 * (a typo of canary) printed `Nothing to remove: no objects of revision Canary installed by mesh.`, exit 0,
 * which a script reads as "uninstalled"; `-r 'a b'` ended with the API server's label-selector parse
 * error (`Error: found 'b', expected: ',' or 'end of string'`), exit 1. install, check and tag refuse
 * such a name; now uninstall does too, the same way (exit 64, before connecting).
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startStoreApiServer, type StoreApiServer } from '../kube/store-api-server.js';

const ENV = { MESH_PROTECTED_CONTEXTS: undefined, MESH_CONFIG: '/nonexistent/mesh-config.yaml', CI: '1' };
const HINT =
  'Hint: use lower-case letters, digits and "-", starting and ending with a letter or digit (e.g. 1-30)';

let server: StoreApiServer | undefined;
afterEach(async () => {
  await server?.close();
  server = undefined;
});

describe('uninstall -r', () => {
  for (const rev of ['Canary', 'a b', 'x,y'])
    it(`refuses ${JSON.stringify(rev)} as install does: exit 64, nothing asked of the server`, async () => {
      server = await startStoreApiServer();
      for (const extra of [['--dry-run'], ['--purge', '--dry-run'], ['-y']]) {
        const r = await runCli(['uninstall', '-r', rev, ...extra, '--kubeconfig', server.kubeconfig], ENV);
        expect(r).toEqual({
          code: 64,
          stdout: '',
          stderr: `Error: revision "${rev}" is not a DNS-1123 label\n${HINT}\n`,
        });
      }
      expect(server.requests).toEqual([]);
    });

  it('a valid revision that is not installed is still "Nothing to remove", exit 0; default is the default revision', async () => {
    server = await startStoreApiServer();
    for (const rev of ['canary', 'default']) {
      const r = await runCli(['uninstall', '-r', rev, '--dry-run', '--kubeconfig', server.kubeconfig], ENV);
      expect(r.code, r.stderr).toBe(0);
      expect(r.stderr).toContain(`Nothing to remove: no objects of revision ${rev} installed by mesh.`);
    }
  });
});
