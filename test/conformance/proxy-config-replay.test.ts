/**
 * Replays the proxy-config cases of ../shared/conformance/istioctl-proxy/cases.json through the real CLI
 * (in-process): file dumps and istioctl goldens compared per the case's `compare` mode, the pod cases
 * against the Kubernetes API stand-in (port-forward) and the Envoy admin stand-in, and the helper-level
 * `unit` rules against the functions that implement them. Cases that belong to other commands, or whose
 * expected text this implementation does not reproduce, are listed with a reason in
 * proxy-config-deviations.json; a test checks every case is accounted for.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, afterEach, beforeAll, beforeEach, describe, expect, it, vi } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { listenerMatches } from '../../src/envoy/listeners.js';
import { describeRouteDomains } from '../../src/envoy/routes.js';
import { parseRoots, rootCasMatch } from '../../src/envoy/rootca.js';
import { dataSourceText } from '../../src/envoy/certs.js';
import { runCli, type CliResult } from '../support/cli.js';
import { startEnvoyAdmin, type AdminServer } from '../support/envoy-admin-server.js';
import { fakePod, startFakeKube, type FakeKube } from '../support/port-forward-server.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istioctl-proxy');
const allCases: any[] = JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')).cases;
/**
 * A case mesh answers differently: why, and whether it is replayed; a replayed one records what mesh gives
 * instead (its value for a helper case, or exit code, stdout and stderr for a command), which the test asserts.
 */
interface Deviation {
  reason: string;
  replayed: boolean;
  output?: unknown;
}
const deviations: Record<string, Deviation> = JSON.parse(
  readFileSync(join(import.meta.dirname, 'proxy-config-deviations.json'), 'utf8'),
);

/** VALID CERT depends on the clock: the goldens were made when `default` had expired and ROOTCA had not. */
const FROZEN_NOW = new Date('2025-06-01T00:00:00Z');

/** Splits a command line, honouring double quotes; drops the `   (notes)` istioctl's cases append. */
function argv(command: string, input?: string): string[] {
  const text = command.split(/ {3}\(/)[0]!.trim();
  const out: string[] = [];
  for (const m of text.matchAll(/"([^"]*)"|(\S+)/g)) out.push(m[1] ?? m[2]!);
  return out.map((a) => (a === '{input}' ? join(ROOT, input!) : a));
}

const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

function compare(c: any, r: CliResult): void {
  // a golden that keeps a legacy formatting quirk says in its notes to compare the JSON value instead
  const mode: string = /compare JSON-semantically/.test(c.notes ?? '')
    ? 'json-semantic'
    : c.compare.split(' ')[0];
  if (mode === 'error-contains') {
    expect(r.code).not.toBe(0);
    expect(r.stderr).toContain(c.expected_error_contains);
    return;
  }
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  const expected = read(c.expected);
  if (mode === 'exact') expect(r.stdout).toBe(expected);
  else if (mode === 'trimmed') expect(r.stdout.trim()).toBe(expected.trim());
  else if (mode === 'json-semantic') expect(JSON.parse(r.stdout)).toEqual(JSON.parse(expected));
  else if (mode === 'yaml-semantic') expect(parseYaml(r.stdout)).toEqual(parseYaml(expected));
  else throw new Error(`unknown compare mode ${c.compare}`);
}

/** Two self-signed roots (from the conformance dumps) standing in for the test's generated A and B. */
function rootPem(rel: string): string {
  const dump = JSON.parse(read(rel));
  const secrets = dump.configs.find((s: any) =>
    s['@type'].endsWith('SecretsConfigDump'),
  ).dynamic_active_secrets;
  const root = secrets.find((s: any) => s.name === 'ROOTCA').secret.validation_context;
  return root.trusted_ca?.inline_bytes
    ? dataSourceText(root.trusted_ca)
    : dataSourceText(root.custom_validator_config.typed_config.trust_domains[0].trust_bundle);
}
const CERTS: Record<string, string> = {
  certA: rootPem('istioctl/pkg/writer/envoy/configdump/testdata/secret/istio/config_dump.json'),
  certB: rootPem('istioctl/pkg/writer/envoy/configdump/testdata/secret/spire/config_dump.json'),
};
const bundle = (spec: string) =>
  spec.startsWith('"')
    ? JSON.parse(spec)
    : spec
        .split('+')
        .map((n) => CERTS[n])
        .join('\n');

/** The helper-level rules, mapped to the functions that implement them. */
function runUnit(c: any): unknown {
  if (c.name.startsWith('configdump/describe-route-domains/')) return describeRouteDomains(c.input_inline);
  if (c.name.startsWith('configdump/listener-filter/'))
    return listenerMatches(c.input_inline.listener, c.input_inline.filter);
  if (c.name.startsWith('proxyconfig/rootca-match/'))
    return rootCasMatch(
      parseRoots(bundle(c.input_inline.pod1_rootca)),
      parseRoots(bundle(c.input_inline.pod2_rootca)),
    );
  throw new Error(`no mapping for unit case ${c.name}`);
}

const isPodCase = (c: any) => c.name.startsWith('proxyconfig/cli/');
const replayed = allCases.filter((c) => !deviations[c.name] || deviations[c.name]!.replayed);

describe('istioctl proxy-config conformance', () => {
  it('every case is replayed or listed as a deviation with a reason', () => {
    const names = new Set(allCases.map((c) => c.name));
    for (const [name, d] of Object.entries(deviations)) {
      expect(names.has(name), name).toBe(true);
      expect(d.reason.length, name).toBeGreaterThan(10);
      if (d.replayed) expect(d.output, `${name}: a replayed deviation records its output`).toBeDefined();
    }
    expect(allCases.length).toBe(121);
  });

  beforeEach(() => {
    vi.useFakeTimers({ toFake: ['Date'] });
    vi.setSystemTime(FROZEN_NOW);
  });
  afterEach(() => {
    vi.useRealTimers();
  });

  for (const c of replayed.filter((x) => x.kind === 'unit')) {
    const dev = deviations[c.name];
    it(`${c.name}${dev ? ' (deviation)' : ''}`, () => {
      if (c.expected_error) {
        expect(() => runUnit(c)).toThrow(c.expected_error);
        return;
      }
      expect(runUnit(c)).toEqual(dev ? dev.output : c.expected_inline);
    });
  }

  for (const c of replayed.filter((x) => x.kind === 'cli' && !isPodCase(x))) {
    const dev = deviations[c.name];
    it(`${c.name}${dev ? ' (deviation)' : ''}`, async () => {
      const args =
        c.name === 'configdump/prime-invalid-input'
          ? ['proxy-config', 'cluster', '--file', '/dev/null']
          : argv(c.command, c.input);
      const r = await runCli(args);
      if (dev) expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual(dev.output);
      else compare(c, r);
    });
  }

  describe('against a cluster (Kubernetes API and Envoy admin stand-ins)', () => {
    let kube: FakeKube;
    let emptyAdmin: AdminServer;
    let loggingAdmin: AdminServer;
    let kubeconfig: string;
    beforeAll(async () => {
      emptyAdmin = await startEnvoyAdmin({ dump: '{}', clusters: {} });
      loggingAdmin = await startEnvoyAdmin({ dump: { configs: [] } });
      const port = (u: string) => Number(new URL(u).port);
      kube = await startFakeKube({
        objects: [
          fakePod('httpbin-794b576b6c-qx6pf', 'default'),
          fakePod('details-v1-5b7f94f9bc-wp5tb', 'default'),
          // typed references whose object selects no pod
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'random-gibberish', namespace: 'default' },
            spec: {},
          },
          {
            apiVersion: 'apps/v1',
            kind: 'Deployment',
            metadata: { name: 'random-gibberish', namespace: 'bogus' },
            spec: {},
          },
        ],
        forward: (_ns, pod) => port(pod.startsWith('details') ? loggingAdmin.url : emptyAdmin.url),
      });
      kubeconfig = kube.kubeconfig({ namespace: 'default' });
    });
    afterAll(async () => {
      await Promise.all([kube?.close(), emptyAdmin?.close(), loggingAdmin?.close()]);
    });

    for (const c of replayed.filter(isPodCase)) {
      const dev = deviations[c.name];
      it(`${c.name}${dev ? ' (deviation)' : ''}`, async () => {
        const r = await runCli(argv(c.command), { KUBECONFIG: kubeconfig });
        if (dev) {
          expect({ code: r.code, stdout: r.stdout, stderr: r.stderr }).toEqual(dev.output);
          return;
        }
        expect(r.stdout + r.stderr).toContain(c.expected_contains);
        expect(r.code !== 0).toBe(c.expect_error);
      });
    }
  });
});
