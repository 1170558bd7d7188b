/**
 * Certificates a CA may issue but mesh had not expected: a SPIFFE URI SAN that is no URL
 * (`spiffe://bad host/ns/x`). The certificate is still described and the other sections still print.
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { makeCa, makeWorkloadCert, secretsDump } from '../../support/certs.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const SIDECAR = join(CONFORMANCE, 'istioctl/pkg/proxyconfig/testdata/config_dump.json');
const tmp = mkdtempSync(join(tmpdir(), 'mesh-odd-certs-'));
let secretsFile: string;
let fullFile: string;

beforeAll(() => {
  const root = makeCa('cluster.local');
  const leaf = makeWorkloadCert(root, 'spiffe://bad host/ns/x', { fromDays: -1, toDays: 30 });
  const secrets = secretsDump({ chain: leaf.certPem, roots: root.certPem });
  secretsFile = join(tmp, 'secrets.json');
  writeFileSync(secretsFile, JSON.stringify(secrets));
  // the sidecar dump with these secrets in place of its own
  const dump = JSON.parse(readFileSync(SIDECAR, 'utf8'));
  dump.configs = dump.configs.map((c: any) =>
    c['@type'].endsWith('SecretsConfigDump') ? secrets.configs[0] : c,
  );
  fullFile = join(tmp, 'full.json');
  writeFileSync(fullFile, JSON.stringify(dump));
});

describe('a SPIFFE URI SAN that does not parse as a URL', () => {
  it('pc secret describes the certificate (no trust domain), exit 0', async () => {
    const r = await runCli(['pc', 'secret', '-f', secretsFile]);
    expect([r.code, r.stderr]).toEqual([0, '']);
    const rows = r.stdout.trimEnd().split('\n');
    expect(rows[0]).not.toContain('TRUST DOMAIN');
    expect(rows.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 4))).toEqual([
      ['default', 'Cert Chain', 'ACTIVE', 'true'],
      ['ROOTCA', 'CA', 'ACTIVE', 'true'],
    ]);
  });

  it('pc all prints every section, SECRET and ENDPOINTS included, exit 0', async () => {
    const r = await runCli(['pc', 'all', '-f', fullFile, '--with-headers']);
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(r.stdout.split('\n').filter((l) => l.startsWith('------'))).toEqual(
      ['BOOTSTRAP', 'CLUSTER', 'LISTENER', 'ROUTE', 'SECRET', 'ENDPOINTS'].map(
        (t) => `------ ${t} INFO ------`,
      ),
    );
    expect(r.stdout).toMatch(/^secret\/default +Cert Chain +ACTIVE +true /m);
  });
});
