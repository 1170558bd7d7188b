/**
 * The outputs of pc diff, drift and certs on the conformance dumps, as mesh printed them when each was
 * one string (test/fixtures/unchanged-outputs/, made by the build before they were written in pieces;
 * the inputs' paths read `<conformance>` and `<fixtures>`): they must stay byte for byte the same.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterEach, describe, expect, it, vi } from 'vitest';
import { runCli } from '../../support/cli.js';
import { CONFORMANCE } from '../../support/envoy-admin-server.js';

const P = join(CONFORMANCE, 'istioctl/pkg');
const FIXTURES = join(import.meta.dirname, '../../fixtures');
const DRIFT = join(FIXTURES, 'drift/sidecar.json');
const GOLDEN = join(FIXTURES, 'unchanged-outputs');

const D = {
  sidecar: join(P, 'proxyconfig/testdata/config_dump.json'),
  compare: join(P, 'writer/compare/testdata/configdump.json'),
  compareDiff: join(P, 'writer/compare/testdata/configdump_diff.json'),
  http: join(P, 'describe/testdata/describe/http_config.json'),
  tls: join(P, 'describe/testdata/describe/tls_config.json'),
  eds: join(P, 'writer/envoy/configdump/testdata/endpoint/configdump.json'),
  ecds: join(P, 'writer/envoy/configdump/testdata/ecds/configdump.json'),
  secretIstio: join(P, 'writer/envoy/configdump/testdata/secret/istio/config_dump.json'),
  secretSpire: join(P, 'writer/envoy/configdump/testdata/secret/spire/config_dump.json'),
  authz: join(P, 'authz/testdata/configdump.yaml'),
  drift: DRIFT,
};

const PAIRS: Array<[string, string, string]> = [
  ['sidecar-compare', D.sidecar, D.compare],
  ['compare-diff', D.compare, D.compareDiff],
  ['http-tls', D.http, D.tls],
  ['secrets', D.secretIstio, D.secretSpire],
  ['eds-sidecar', D.eds, D.sidecar],
  ['ecds-sidecar', D.ecds, D.sidecar],
  ['authz-drift', D.authz, D.drift],
  ['same', D.sidecar, D.sidecar],
];

const f = (...pairs: Array<[string, string]>) => pairs.flatMap(([id, file]) => ['-f', `${id}=${file}`]);
const DRIFTS: Array<[string, string[]]> = [
  [
    'drift-workloads',
    f(
      ['web-0.shop', D.sidecar],
      ['web-1.shop', D.sidecar],
      ['web-2.shop', D.compare],
      ['api-7d4b9c8f6d-x7k2p.shop', D.compare],
      ['api-7d4b9c8f6d-b2c4d.shop', D.compareDiff],
      ['api-7d4b9c8f6d-z9z9z.shop', D.compareDiff],
      ['api-7d4b9c8f6d-q8q8q.shop', D.http],
      ['db-0.data', D.drift],
      ['db-1.data', D.drift],
      ['gw-0.edge', D.tls],
      ['gw-1.edge', D.http],
    ),
  ],
  ['drift-none', f(['web-0.shop', D.drift], ['web-1.shop', D.drift])],
];

/** name, arguments, output written: `-o json` and the default of each command. */
const CASES: Array<[string, string[]]> = [
  ...PAIRS.flatMap(([name, a, b]): Array<[string, string[]]> => [
    [`pc-diff-${name}.txt`, ['pc', 'diff', a, b]],
    [`pc-diff-${name}.json`, ['pc', 'diff', a, b, '-o', 'json']],
  ]),
  ...DRIFTS.flatMap(([name, args]): Array<[string, string[]]> => [
    [`${name}.txt`, ['drift', ...args]],
    [`${name}.json`, ['drift', ...args, '-o', 'json']],
  ]),
  ...['json', 'yaml'].map((o): [string, string[]] => [
    `certs.${o}`,
    ['certs', '-f', D.secretIstio, '-f', D.secretSpire, '-f', D.sidecar, '-f', D.drift, '-o', o],
  ]),
];

/** Certificates are shown against this time. */
const NOW = new Date('2030-01-01T00:00:00Z');

/** The output with the paths of the inputs, which depend on where the repository is, as placeholders. */
const placeholder = (text: string) =>
  text.replaceAll(CONFORMANCE, '<conformance>').replaceAll(FIXTURES, '<fixtures>');

describe('pc diff, drift and certs written in pieces', () => {
  afterEach(() => {
    vi.useRealTimers();
  });

  it.each(CASES)('%s is byte for byte what mesh printed as one string', async (name, args) => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(NOW);
    const r = await runCli(args);
    // no difference (0), else differences found, certificates expired (79)
    expect(r.code).toBe(/same|none/.test(name) ? 0 : 79);
    expect(placeholder(r.stdout)).toBe(readFileSync(join(GOLDEN, name), 'utf8'));
  });
});
