// Real certificates for the certs benchmarks (openssl): one root and a pool of workload
// certificates, and the Envoy config dump (SDS secrets only) a sidecar answers with for each.
import { execFileSync } from 'node:child_process';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

export const POOL = 40;

export function generate(dir) {
  const run = (...args) => execFileSync('openssl', args, { cwd: dir, stdio: 'pipe' });
  const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes'];
  run(
    'req',
    '-x509',
    ...ec,
    '-keyout',
    'ca.key',
    '-out',
    'ca.pem',
    '-days',
    '3650',
    '-subj',
    '/O=cluster.local',
  );
  const leaves = [];
  for (let i = 0; i < POOL; i++) {
    const san = `subjectAltName=URI:spiffe://cluster.local/ns/ns${i % 8}/sa/sa${i}`;
    writeFileSync(join(dir, 'ext.cnf'), `${san}\nbasicConstraints=critical,CA:FALSE\n`);
    run('req', '-new', ...ec, '-keyout', 'leaf.key', '-out', 'leaf.csr', '-subj', '/O=workload');
    run(
      'x509',
      '-req',
      '-in',
      'leaf.csr',
      '-CA',
      'ca.pem',
      '-CAkey',
      'ca.key',
      '-set_serial',
      String(1000 + i),
      '-days',
      String(1 + (i % 30)),
      '-extfile',
      'ext.cnf',
      '-out',
      'leaf.pem',
    );
    leaves.push(readFileSync(join(dir, 'leaf.pem'), 'utf8'));
  }
  return { root: readFileSync(join(dir, 'ca.pem'), 'utf8'), leaves };
}

export function dumpBody(chain, root) {
  const b64 = (s) => Buffer.from(s).toString('base64');
  const secret = (name, body) => ({
    name,
    version_info: '2026-01-01T00:00:00Z',
    last_updated: '2026-01-01T00:00:00.000Z',
    secret: {
      '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
      name,
      ...body,
    },
  });
  return JSON.stringify(
    {
      configs: [
        {
          '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
          dynamic_active_secrets: [
            secret('default', {
              tls_certificate: {
                certificate_chain: { inline_bytes: b64(chain + root) },
                private_key: { inline_bytes: b64('[redacted]') },
              },
            }),
            secret('ROOTCA', { validation_context: { trusted_ca: { inline_bytes: b64(root) } } }),
          ],
        },
      ],
    },
    null,
    1,
  );
}
