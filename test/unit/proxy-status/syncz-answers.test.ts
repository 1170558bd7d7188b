/**
 * `mesh proxy-status` against stand-in xDS servers sending odd syncz answers: Struct values of every
 * kind, resources that are not ClientConfigs, control characters in what istiod reports; and the
 * arguments that are usage errors before anything connects.
 */
import { afterEach, describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { startXdsServer, type Answer } from '../../support/xds-server.js';

const CC = 'type.googleapis.com/envoy.service.status.v3.ClientConfig';
const CDS = 'type.googleapis.com/envoy.config.cluster.v3.Cluster';
const LDS = 'type.googleapis.com/envoy.config.listener.v3.Listener';

function syncz(resources: unknown[]): Answer {
  const identifier = JSON.stringify({ Component: 'istiod', ID: 'istiod-a', Info: { version: '1.31.0' } });
  return {
    kind: 'respond',
    response: { type_url: 'istio.io/debug/syncz', resources, control_plane: { identifier } },
  };
}

const clientConfig = (id: string, metadata: Record<string, unknown> = {}, configs: unknown[] = []) => ({
  '@type': CC,
  node: { id, metadata: { CLUSTER_ID: 'Kubernetes', NAMESPACE: 'shop', ...metadata } },
  generic_xds_configs: configs,
});

const closers: Array<{ close(): Promise<void> }> = [];
afterEach(async () => {
  await Promise.all(closers.splice(0).map((c) => c.close()));
});

async function ps(answer: Answer, ...args: string[]) {
  const s = await startXdsServer(() => answer);
  closers.push(s);
  return runCli(['proxy-status', '--xds-address', s.address, '--plaintext', ...args]);
}

describe('proxy-status: what a syncz answer holds', () => {
  it('numbers, booleans and nulls in node metadata keep their values in -o json (were all "")', async () => {
    const proxyConfig = {
      concurrency: 2,
      holdApplicationUntilProxyStarts: true,
      tracing: null,
      ports: [15001, false, 'x'],
      nested: { zero: 0, off: false, text: '' },
    };
    const r = await ps(syncz([clientConfig('web-0.shop', { PROXY_CONFIG: proxyConfig })]), '-o', 'json');
    expect([r.code, r.stderr]).toEqual([0, '']);
    expect(JSON.parse(r.stdout).resources[0].node.metadata.PROXY_CONFIG).toEqual(proxyConfig);
  });

  it('resources that describe no proxy are left out (were nameless rows), named with their replica, exit 65', async () => {
    const cluster = { '@type': CDS, name: 'outbound|80||web.shop.svc.cluster.local' };
    const s = await startXdsServer(() =>
      syncz([clientConfig('web-0.shop'), cluster, { '@type': CC }, cluster]),
    );
    closers.push(s);
    const base = ['proxy-status', '--xds-address', s.address, '--plaintext'];
    const errors =
      `error: ${s.address}: left out 2 resources of type ${CDS}: not ClientConfigs\n` +
      `error: ${s.address}: left out 1 ClientConfig without a node id\n`;
    expect(await runCli(base)).toEqual({
      code: 65,
      stdout:
        'NAME           CLUSTER        ISTIOD       VERSION     SUBSCRIBED TYPES\n' +
        'web-0.shop     Kubernetes     istiod-a                 0\n',
      stderr: errors,
    });
    const json = await runCli([...base, '-o', 'json']);
    expect([json.code, json.stderr]).toEqual([65, errors]);
    expect(JSON.parse(json.stdout).resources).toEqual([
      { '@type': CC, node: clientConfig('web-0.shop').node },
    ]);
  });

  it('control characters in a proxy name or NACK details are escaped on stderr', async () => {
    const r = await ps(
      syncz([
        clientConfig('web-0.shop\u001b[2J', {}, [
          {
            type_url: LDS,
            config_status: 'ERROR',
            error_state: { details: 'bad listener\nNACK: forged line \u001b]0;pwned\u0007' },
          },
        ]),
      ]),
    );
    expect(r.code).toBe(0);
    expect(r.stderr).toBe(
      'NACK: web-0.shop\\x1b[2J: LDS rejected: bad listener\\nNACK: forged line \\x1b]0;pwned\\x07\n',
    );
  });
});

describe('proxy-status: usage errors before anything connects (exit 64)', () => {
  it('a pod name or namespace no pod can have', async () => {
    for (const [pod, error] of [
      ['Foo_Bar.shop', 'invalid pod name "Foo_Bar" in "Foo_Bar.shop"'],
      ['web-0.', 'invalid namespace "" in "web-0."'],
      ['web-0.Shop', 'invalid namespace "Shop" in "web-0.Shop"'],
      ['.shop', 'invalid pod name "" in ".shop"'],
    ]) {
      // 127.0.0.1:1: nothing listens there, so any connection would be exit 1
      const r = await runCli(['proxy-status', pod!, '--xds-address', '127.0.0.1:1', '--plaintext']);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], pod).toEqual([64, '', `Error: ${error}`]);
    }
  });

  it('a port out of range in --xds-address or --csds-address names the flag', async () => {
    for (const [args, error] of [
      [['--xds-address', 'istiod:99999'], '--xds-address "istiod:99999": port 99999 is not in 1..65535'],
      [['--xds-address', 'istiod:0'], '--xds-address "istiod:0": port 0 is not in 1..65535'],
      [
        ['web-0.shop', '--xds-address', '127.0.0.1:1', '--csds-address', '127.0.0.1:99999'],
        '--csds-address "127.0.0.1:99999": port 99999 is not in 1..65535',
      ],
      [
        ['web-0.shop', '--xds-address', '127.0.0.1:1', '--csds-address', 'http://x y'],
        '--csds-address "http://x y"',
      ],
    ] as const) {
      const r = await runCli(['proxy-status', '--plaintext', ...args]);
      expect([r.code, r.stdout, r.stderr.split('\n')[0]], args.join(' ')).toEqual([
        64,
        '',
        `Error: invalid ${error}`,
      ]);
    }
  });
});
