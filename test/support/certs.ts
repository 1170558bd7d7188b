/**
 * Test certificates made at test time with the `openssl` command (`openssl ca` with explicit start and
 * end dates, so expired and not-yet-valid certificates are possible): Istio-like roots (O=<trust
 * domain>, CA) and workload certificates (empty subject, SPIFFE URI SAN), plus an Envoy config dump
 * carrying them as SDS secrets the way a sidecar's `/config_dump` shows them.
 */
import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TestCa {
  certPem: string;
  keyPem: string;
}

export interface Validity {
  /** Offsets from now, in days (negative = in the past). */
  fromDays: number;
  toDays: number;
}

const DAY = 86_400_000;

function opensslDate(offsetDays: number): string {
  return new Date(Date.now() + offsetDays * DAY)
    .toISOString()
    .replace(/[-:T]/g, '')
    .replace(/\.\d+Z$/, 'Z');
}

const CONFIG = `
[ ca ]
default_ca = ca_default
[ ca_default ]
dir = .
database = index.txt
new_certs_dir = .
serial = serial
default_md = sha256
policy = policy_any
unique_subject = no
email_in_dn = no
[ policy_any ]
organizationName = optional
commonName = optional
[ v3_ca ]
basicConstraints = critical,CA:TRUE
keyUsage = critical,keyCertSign,cRLSign
subjectKeyIdentifier = hash
[ v3_leaf ]
basicConstraints = critical,CA:FALSE
keyUsage = critical,digitalSignature,keyEncipherment
extendedKeyUsage = serverAuth,clientAuth
subjectAltName = critical,\${ENV::MESH_SAN}
`;

function withDir<T>(fn: (dir: string, run: (args: string[], env?: Record<string, string>) => void) => T): T {
  const dir = mkdtempSync(join(tmpdir(), 'mesh-certs-'));
  try {
    writeFileSync(join(dir, 'openssl.cnf'), CONFIG);
    writeFileSync(join(dir, 'index.txt'), '');
    const run = (args: string[], env: Record<string, string> = {}) =>
      void execFileSync('openssl', args, {
        cwd: dir,
        stdio: 'pipe',
        env: { ...process.env, MESH_SAN: 'URI:x:', ...env },
      });
    return fn(dir, run);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

function sign(
  dir: string,
  run: (args: string[], env?: Record<string, string>) => void,
  o: { subject: string; validity: Validity; serial: string; ca?: TestCa; san?: string },
): TestCa {
  writeFileSync(join(dir, 'serial'), o.serial + '\n');
  run([
    'req',
    '-new',
    '-newkey',
    'ec',
    '-pkeyopt',
    'ec_paramgen_curve:P-256',
    '-nodes',
    '-keyout',
    'key.pem',
    '-out',
    'req.csr',
    '-subj',
    o.subject,
  ]);
  const common = ['ca', '-batch', '-config', 'openssl.cnf', '-notext', '-in', 'req.csr', '-out', 'cert.pem'];
  const dates = ['-startdate', opensslDate(o.validity.fromDays), '-enddate', opensslDate(o.validity.toDays)];
  if (o.ca) {
    writeFileSync(join(dir, 'ca.pem'), o.ca.certPem);
    writeFileSync(join(dir, 'ca.key'), o.ca.keyPem);
    run([...common, ...dates, '-cert', 'ca.pem', '-keyfile', 'ca.key', '-extensions', 'v3_leaf'], {
      MESH_SAN: o.san ?? 'URI:x:',
    });
  } else {
    run([...common, ...dates, '-selfsign', '-keyfile', 'key.pem', '-extensions', 'v3_ca']);
  }
  return {
    certPem: readFileSync(join(dir, 'cert.pem'), 'utf8'),
    keyPem: readFileSync(join(dir, 'key.pem'), 'utf8'),
  };
}

/** A self-signed root like Istio's (`O=<org>`, CA, serial as hex). */
export function makeCa(
  org: string,
  validity: Validity = { fromDays: -1, toDays: 3650 },
  serial = '01',
): TestCa {
  return withDir((dir, run) => sign(dir, run, { subject: `/O=${org}`, validity, serial }));
}

/** A workload certificate signed by `ca` with the SPIFFE identity as URI SAN (and an `O=` subject). */
export function makeWorkloadCert(ca: TestCa, spiffe: string, validity: Validity, serial = '0a1b2c'): TestCa {
  return withDir((dir, run) =>
    sign(dir, run, { subject: '/O=workload', validity, serial, ca, san: `URI:${spiffe}` }),
  );
}

const b64 = (s: string) => Buffer.from(s, 'utf8').toString('base64');

/**
 * A sidecar config dump (SecretsConfigDump only, as `/config_dump?mask=dynamic_active_secrets,...`
 * answers) with the `default` workload chain and the `ROOTCA` bundle. The private key is Envoy's
 * `[redacted]` unless `privateKey` is given (a dump that leaks one, for the never-print tests).
 */
export function secretsDump(o: { chain: string; roots: string; privateKey?: string }): any {
  return {
    configs: [
      {
        '@type': 'type.googleapis.com/envoy.admin.v3.SecretsConfigDump',
        dynamic_active_secrets: [
          {
            name: 'default',
            version_info: '2026-01-01T00:00:00Z',
            last_updated: '2026-01-01T00:00:00.000Z',
            secret: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
              name: 'default',
              tls_certificate: {
                certificate_chain: { inline_bytes: b64(o.chain) },
                private_key: { inline_bytes: b64(o.privateKey ?? '[redacted]') },
              },
            },
          },
          {
            name: 'ROOTCA',
            version_info: '2026-01-01T00:00:00Z',
            last_updated: '2026-01-01T00:00:00.000Z',
            secret: {
              '@type': 'type.googleapis.com/envoy.extensions.transport_sockets.tls.v3.Secret',
              name: 'ROOTCA',
              validation_context: { trusted_ca: { inline_bytes: b64(o.roots) } },
            },
          },
        ],
      },
    ],
  };
}

/**
 * A self-signed EC P-256 serving certificate for 127.0.0.1 (one day), written as PEM files into `dir`:
 * what the loopback TLS servers of the tests present (kwok's kubelet API, the silent TLS server).
 */
export function writeLoopbackServingCert(
  dir: string,
  name: string,
  commonName = '127.0.0.1',
): { certFile: string; keyFile: string } {
  const certFile = join(dir, `${name}.crt`);
  const keyFile = join(dir, `${name}.key`);
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:P-256',
      '-nodes',
      '-days',
      '1',
      '-subj',
      `/CN=${commonName}`,
      '-addext',
      'subjectAltName=IP:127.0.0.1',
      '-addext',
      'extendedKeyUsage=serverAuth',
      '-keyout',
      keyFile,
      '-out',
      certFile,
    ],
    { stdio: 'pipe' },
  );
  return { certFile, keyFile };
}
