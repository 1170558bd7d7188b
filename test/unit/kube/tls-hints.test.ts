/**
 * An API server that answers with a certificate the kubeconfig does not accept is up: the hint says what
 * is wrong with the certificate (untrusted, issued for another name, expired), not "check that it is
 * reachable". A closed port keeps that hint.
 */
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { makeCa, writeLoopbackServingCert, type TestCa } from '../../support/certs.js';
import { closedPort } from '../../support/closed-port.js';
import { runCli } from '../../support/cli.js';
import { writeKubeconfig } from '../../support/silent-server.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-tls-hints-'));
const servers: https.Server[] = [];
afterAll(() => {
  for (const s of servers) s.close();
  rmSync(dir, { recursive: true, force: true });
});

/** A TLS server on 127.0.0.1 presenting `cert`; its URL with `host`. */
async function serving(cert: TestCa, host = '127.0.0.1'): Promise<string> {
  const server = https.createServer({ cert: cert.certPem, key: cert.keyPem }, (_req, res) => res.end('{}'));
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `https://${host}:${(server.address() as AddressInfo).port}`;
}

/** The kubeconfig of context `name` for `url`, trusting `ca` when given. */
function kubeconfig(name: string, url: string, ca?: TestCa): string {
  const sub = mkdtempSync(join(dir, `${name}-`));
  let caFile: string | undefined;
  if (ca) writeFileSync((caFile = join(sub, 'ca.pem')), ca.certPem);
  return writeKubeconfig(sub, name, url, caFile);
}

describe('a certificate the kubeconfig does not accept', () => {
  // a serving certificate for IP 127.0.0.1; a CA certificate (no server key usage); an expired one
  const files = writeLoopbackServingCert(dir, 'server');
  const serving127 = {
    certPem: readFileSync(files.certFile, 'utf8'),
    keyPem: readFileSync(files.keyFile, 'utf8'),
  };
  const caOnly = makeCa('cluster');
  const expired = makeCa('old', { fromDays: -30, toDays: -1 });

  it.each([
    ['analyze', ['analyze']],
    ['proxy-status', ['proxy-status']],
    ['pc (port-forward)', ['pc', 'cluster', 'web-1']],
  ])('%s: the hint names the certificate problem, exit 1', async (_name, args) => {
    const cases: Array<[string, string]> = [
      [
        kubeconfig('untrusted', await serving(serving127)),
        'Hint: the server\'s certificate is not signed by a CA the kubeconfig trusts for cluster "untrusted": set its certificate-authority(-data) to the cluster\'s CA\n',
      ],
      [
        kubeconfig('other-name', await serving(serving127, 'localhost'), serving127),
        'Hint: the server\'s certificate is not issued for the host name in the server URL of cluster "other-name": use a name it is issued for, or set tls-server-name\n',
      ],
      [
        kubeconfig('expired', await serving(expired), expired),
        "Hint: the server's certificate is expired: check the cluster's certificates and this machine's clock\n",
      ],
      [
        kubeconfig('ca-only', await serving(caOnly), caOnly),
        'Hint: the server\'s certificate is not one for a TLS server (its key usage): check the certificate the API server of cluster "ca-only" presents\n',
      ],
      [
        kubeconfig('closed', `https://127.0.0.1:${await closedPort()}`),
        'Hint: check that the cluster of context "closed" is up and reachable\n',
      ],
    ];
    for (const [config, hint] of cases) {
      const r = await runCli([...args, '--kubeconfig', config, '--timeout', '20s']);
      expect(r.code, config).toBe(1);
      expect(r.stderr, config).toMatch(
        /^Error: cannot (reach|read the cluster from) the Kubernetes API server https:\/\/(127\.0\.0\.1|localhost):\d+: [^\n]+\n/,
      );
      expect(r.stderr.split('\n')[1] + '\n', config).toBe(hint);
    }
  });
});
