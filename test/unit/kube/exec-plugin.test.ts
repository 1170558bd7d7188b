/**
 * A kubeconfig user's `exec` credential plugin (client.authentication.k8s.io), run by mesh: given the
 * ExecCredential request kubectl gives (KUBERNETES_EXEC_INFO, with the cluster's info when it asks, the
 * kubeconfig's env, stdin only when interactiveMode allows and it is a terminal), its token or client
 * certificate is what requests carry, its stderr is the user's, and one that never finishes is killed at
 * the deadline, with whatever it started. Before, client-node ran it: the deadline gave it up but it ran
 * on after mesh.
 */
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import http from 'node:http';
import https from 'node:https';
import type { AddressInfo } from 'node:net';
import type { TLSSocket } from 'node:tls';
import { tmpdir } from 'node:os';
import { delimiter, dirname, join } from 'node:path';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { loadKubeContext } from '../../../src/kube/config.js';
import { KubeRest } from '../../../src/kube/rest.js';
import { runCli } from '../../support/cli.js';
import { writeLoopbackServingCert } from '../../support/certs.js';
import { writeKubeconfig } from '../../support/silent-server.js';
import { bundleMesh, inTerminal, pty } from '../../support/terminal.js';

/** Answers every request with an object named after the credentials it carried (token, else client certificate CN). */
function whoami(req: http.IncomingMessage, res: http.ServerResponse) {
  req.resume();
  const cn = (req.socket as TLSSocket).getPeerCertificate?.()?.subject?.CN;
  res.writeHead(200, { 'content-type': 'application/json' });
  res.end(
    JSON.stringify({ kind: 'Namespace', metadata: { name: req.headers.authorization ?? cn ?? 'none' } }),
  );
}

let dir = '';
let plain: http.Server;
let tls: https.Server;
let plainUrl = '';
let tlsUrl = '';
let serverCert = '';
const started: number[] = [];

const listen = async (s: http.Server) => {
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', () => r()));
  return (s.address() as AddressInfo).port;
};

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), 'mesh-exec-plugin-'));
  const { certFile, keyFile } = writeLoopbackServingCert(dir, 'server');
  serverCert = certFile;
  plain = http.createServer(whoami);
  tls = https.createServer(
    {
      cert: readFileSync(certFile),
      key: readFileSync(keyFile),
      requestCert: true,
      rejectUnauthorized: false,
    },
    whoami,
  );
  plainUrl = `http://127.0.0.1:${await listen(plain)}`;
  tlsUrl = `https://127.0.0.1:${await listen(tls)}`;
});

afterEach(() => {
  // a plugin left running by a failing test must not outlive it
  for (const pid of started.splice(0))
    try {
      process.kill(pid, 'SIGKILL');
    } catch {
      // gone
    }
});

afterAll(async () => {
  for (const s of [plain, tls]) {
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
  rmSync(dir, { recursive: true, force: true });
});

/** A kubeconfig whose user runs `sh -c script` as its credential plugin. */
function withPlugin(script: string, opts: { server?: string; ca?: string; env?: string } = {}): string {
  const user = `{exec: {apiVersion: client.authentication.k8s.io/v1, command: sh, args: ["-c", ${JSON.stringify(script)}], interactiveMode: Never${opts.env ? `, env: ${opts.env}` : ''}}}`;
  return writeKubeconfig(dir, 'x', opts.server ?? plainUrl, opts.ca, {
    user,
    file: `kc-${Math.random().toString(36).slice(2)}`,
  });
}

/** Whether process `pid` still runs (a zombie, killed and not yet reaped, does not). */
function running(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  try {
    return !/\) Z /.test(readFileSync(`/proc/${pid}/stat`, 'utf8'));
  } catch {
    return !existsSync('/proc/self'); // no /proc: kill(0) is all there is to go by
  }
}

describe('a credential plugin that never finishes', () => {
  // The plugin starts a child (as gke-gcloud-auth-plugin starts gcloud), writes both pids and waits.
  it.each([
    ['pc cluster web --timeout 1s', '--timeout'],
    ['install --dry-run --timeout 1s', '--timeout'],
    ['analyze -A --kubeclient-timeout 1s', '--kubeclient-timeout'],
  ])('mesh %s: timed out at the deadline, exit 1, and killed with its child', async (args, flag) => {
    const pidFile = join(dir, `pids-${Math.random().toString(36).slice(2)}`);
    const kubeconfig = withPlugin(`sleep 30 & echo $$ $! > ${pidFile}; wait`);
    const t0 = Date.now();
    const r = await runCli([...args.split(' '), '--kubeconfig', kubeconfig]);
    expect(Date.now() - t0).toBeLessThan(10_000);
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    started.push(...pids);
    expect(pids).toHaveLength(2);
    expect(r.code).toBe(1);
    expect(r.stderr.split('\n').filter((l) => /^(Error|Hint): /.test(l))).toEqual([
      'Error: cannot get credentials for context "x": the credential plugin "sh" did not finish within 1s',
      `Hint: run it yourself to see what it waits for (a login?), or raise ${flag}`,
    ]);
    // Before: both ran on for their 30 s, long after mesh had given up on them.
    await vi.waitFor(() => expect(pids.filter(running)).toEqual([]), { timeout: 3000 });
  });
  // It runs out of the terminal's process group (to be killed with its children), so the terminal's
  // Ctrl+C no longer reaches it: mesh kills it. (A real signal with no other listener then ends mesh as
  // before; here a listener stands in for install's own, which keeps the test process alive.)
  it('Ctrl+C while it runs: killed with its child', async () => {
    const pidFile = join(dir, `pids-${Math.random().toString(36).slice(2)}`);
    const kube = loadKubeContext({ kubeconfig: withPlugin(`sleep 30 & echo $$ $! > ${pidFile}; wait`) });
    const request = new KubeRest(kube, 30_000).request('GET', '/version');
    request.catch(() => {});
    await vi.waitFor(() =>
      expect(existsSync(pidFile) && readFileSync(pidFile, 'utf8')).toMatch(/^\d+ \d+\n$/),
    );
    const pids = readFileSync(pidFile, 'utf8').trim().split(' ').map(Number);
    started.push(...pids);
    const other = () => {};
    process.on('SIGINT', other);
    try {
      process.emit('SIGINT', 'SIGINT');
    } finally {
      process.off('SIGINT', other);
    }
    await vi.waitFor(() => expect(pids.filter(running)).toEqual([]), { timeout: 3000 });
    await expect(request).rejects.toThrow('cannot get credentials for context "x"');
  });
});

describe('a credential plugin that answers', () => {
  const credential = (status: Record<string, unknown>) =>
    JSON.stringify({ apiVersion: 'client.authentication.k8s.io/v1', kind: 'ExecCredential', status });

  it("gets kubectl's ExecCredential request and env and no stdin; its token is sent, and it runs once", async () => {
    const runs = join(dir, 'runs');
    const script = [
      // kubectl's request: the plugin's apiVersion, not interactive
      `case "$KUBERNETES_EXEC_INFO" in *'"apiVersion":"client.authentication.k8s.io/v1","kind":"ExecCredential","spec":{"interactive":false}'*) ;; *) echo "no ExecCredential request" >&2; exit 1;; esac`,
      // a plugin asking on stdin gets end of input at once (before: it waited until the deadline)
      'if read answer; then echo "stdin was open" >&2; exit 1; fi',
      `echo run >> ${runs}`,
      `echo '${credential({ token: 'T-' })}' | sed "s/T-/T-$GREETING/"`,
    ].join('\n');
    const kube = loadKubeContext({
      kubeconfig: withPlugin(script, { env: '[{name: GREETING, value: hello}]' }),
    });
    for (const client of [new KubeRest(kube, 5000), new KubeRest(kube, 5000)]) {
      const res = await client.request('GET', '/api/v1/namespaces/x');
      expect(res.body.metadata.name).toBe('Bearer T-hello');
    }
    expect(readFileSync(runs, 'utf8')).toBe('run\n');
  });

  it('its client certificate and key are what mesh presents to the API server', async () => {
    const { certFile, keyFile } = writeLoopbackServingCert(dir, 'client', 'exec-plugin-user');
    const answer = join(dir, 'cert-credential.json');
    writeFileSync(
      answer,
      credential({
        clientCertificateData: readFileSync(certFile, 'utf8'),
        clientKeyData: readFileSync(keyFile, 'utf8'),
      }),
    );
    const kube = loadKubeContext({
      kubeconfig: withPlugin(`cat ${answer}`, { server: tlsUrl, ca: serverCert }),
    });
    const res = await new KubeRest(kube, 5000).request('GET', '/api/v1/namespaces/x');
    expect(res.body.metadata.name).toBe('exec-plugin-user');
  });
});

const V1 = 'client.authentication.k8s.io/v1';
const answer = (token: string) =>
  JSON.stringify({ apiVersion: V1, kind: 'ExecCredential', status: { token } });
/** `command: sh` running `script` (YAML flow entries of an exec). */
const sh = (script: string) => `command: sh, args: [-c, ${JSON.stringify(script)}]`;
/** A kubeconfig (in `in`, else the test folder) whose user's exec is `exec`, YAML flow entries. */
function withExec(exec: string, opts: { cluster?: string; in?: string } = {}): string {
  return writeKubeconfig(opts.in ?? dir, 'x', plainUrl, undefined, {
    user: `{exec: {${exec}}}`,
    cluster: opts.cluster,
    file: `kc-${Math.random().toString(36).slice(2)}`,
  });
}
/**
 * A plugin script that keeps what it was given in files `<out>.info` (KUBERNETES_EXEC_INFO) and
 * `<out>.stdin` (the line it read after asking for it on stderr, or <EOF>) and answers token T.
 */
const recorder = (out: string) =>
  [
    `printf %s "$KUBERNETES_EXEC_INFO" > ${out}.info`,
    `printf 'Enter the code shown in your browser: ' >&2`,
    `if read line; then printf %s "$line" > ${out}.stdin; else printf '<EOF>' > ${out}.stdin; fi`,
    `echo '${answer('T')}'`,
  ].join('\n');
const received = (out: string) => ({
  request: JSON.parse(readFileSync(`${out}.info`, 'utf8')),
  stdin: readFileSync(`${out}.stdin`, 'utf8'),
});
const fresh = () => join(dir, `out-${Math.random().toString(36).slice(2)}`);
/** stderr's lines, without empty ones. */
const lines = (text: string) => text.split('\n').filter((l) => l !== '');

describe("the plugin's stderr (kubectl passes it on)", () => {
  it("reaches mesh's stderr as it comes (a device-code prompt); stdout and the token do not", async () => {
    const prompt = 'To sign in, open https://login.example/device and enter the code ABC-123';
    const kubeconfig = withExec(
      `apiVersion: ${V1}, interactiveMode: Never, ${sh(`echo '${prompt}' >&2; echo '${answer('SECRET-T')}'`)}`,
    );
    const r = await runCli(['analyze', '-A', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    // before: swallowed, and a user waiting for a login saw nothing
    expect(lines(r.stderr)[0]).toBe(prompt);
    expect(r.stdout).toBe('');
    expect(r.stdout + r.stderr).not.toContain('SECRET');
  });

  it('a plugin that fails: its own words, then one line naming the context, the plugin and its exit code', async () => {
    const kubeconfig = withExec(
      `apiVersion: ${V1}, interactiveMode: Never, ${sh(`echo "error: your refresh token expired; run 'example login'" >&2; exit 2`)}`,
    );
    const r = await runCli(['analyze', '-A', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(1);
    expect(lines(r.stderr)).toEqual([
      "error: your refresh token expired; run 'example login'",
      'Error: cannot get credentials for context "x": the credential plugin "sh" failed with exit code 2',
      'Hint: log in again (the credential plugin or token may have expired)',
    ]);
    expect(r.stdout).toBe('');
  });
});

describe('interactiveMode, without a terminal on stdin (vitest gives its workers a pipe)', () => {
  it.each([
    ['IfAvailable', `apiVersion: ${V1}, interactiveMode: IfAvailable`],
    ["v1beta1's default (IfAvailable)", 'apiVersion: client.authentication.k8s.io/v1beta1'],
    ['Never', `apiVersion: ${V1}, interactiveMode: Never`],
  ])('%s: the plugin gets no stdin and interactive: false', async (_, exec) => {
    const out = fresh();
    const r = await runCli(['analyze', '-A', '--kubeconfig', withExec(`${exec}, ${sh(recorder(out))}`)]);
    expect(r.code).toBe(0);
    const { request, stdin } = received(out);
    expect(request.spec).toEqual({ interactive: false });
    expect(stdin).toBe('<EOF>');
  });

  // what kubectl refuses, refused before the plugin runs (it ran before, and waited for an answer)
  it.each([
    [
      `apiVersion: ${V1}, interactiveMode: Always`,
      1,
      'the credential plugin "sh" needs a terminal to ask its questions (interactiveMode: Always), and standard input is not one',
      'run mesh from a terminal, or log in first (run the plugin yourself) so that it has nothing to ask',
    ],
    [
      `apiVersion: ${V1}`,
      65,
      `the exec plugin of user "x" has no interactiveMode, which ${V1} requires`,
      'add interactiveMode: Never to its exec (IfAvailable or Always when it asks questions on standard input)',
    ],
    [
      `apiVersion: ${V1}, interactiveMode: Sometimes`,
      65,
      'the exec plugin of user "x" has interactiveMode "Sometimes"',
      'use Never, IfAvailable, Always',
    ],
    [
      'apiVersion: client.authentication.k8s.io/v1alpha1, interactiveMode: Never',
      65,
      'the exec plugin of user "x" has apiVersion "client.authentication.k8s.io/v1alpha1", which kubectl does not run',
      `use ${V1} or client.authentication.k8s.io/v1beta1`,
    ],
    [
      `apiVersion: ${V1}, interactiveMode: Never, env: [{value: x}]`,
      65,
      'the exec plugin of user "x" has an env entry without a name',
      'every entry of its env needs a name and a value',
    ],
  ])('%s: exit %i, one line, the plugin not run', async (exec, code, error, hint) => {
    const out = fresh();
    const r = await runCli(['analyze', '-A', '--kubeconfig', withExec(`${exec}, ${sh(recorder(out))}`)]);
    expect(r.code).toBe(code);
    expect(lines(r.stderr)).toEqual([
      `Error: cannot get credentials for context "x": ${error}`,
      `Hint: ${hint}`,
    ]);
    expect(existsSync(`${out}.info`)).toBe(false);
  });
});

describe.skipIf(!pty)('interactiveMode, with a terminal on stdin (mesh run in a pseudo-terminal)', () => {
  let mesh = '';
  beforeAll(async () => {
    mesh = await bundleMesh(dir);
  }, 60_000);

  /** `typed` is typed once the plugin has asked. */
  const askedFor = (typed: string, delayMs = 0) => ({
    keys: [{ when: 'Enter the code shown in your browser: ', type: `${typed}\n`, delayMs }],
  });

  it.each(['IfAvailable', 'Always'])(
    '%s: the plugin gets the terminal and interactive: true; what the user types is its answer',
    async (mode) => {
      const out = fresh();
      const kubeconfig = withExec(`apiVersion: ${V1}, interactiveMode: ${mode}, ${sh(recorder(out))}`);
      const r = await inTerminal(
        mesh,
        ['analyze', '-A', '--timeout', '10s', '--kubeconfig', kubeconfig],
        askedFor('ABC-123'),
      );
      // its prompt is on the terminal (before: not shown, and its read got end of input at once)
      expect(r.screen).toContain('Enter the code shown in your browser: ');
      expect(r.screen).toContain('✔ No validation issues found');
      expect(r.code).toBe(0);
      const { request, stdin } = received(out);
      expect(request.spec).toEqual({ interactive: true });
      expect(stdin).toBe('ABC-123');
    },
  );

  it('an interactive login has no deadline, as under kubectl: the user answers after --timeout has passed', async () => {
    const out = fresh();
    const kubeconfig = withExec(`apiVersion: ${V1}, interactiveMode: IfAvailable, ${sh(recorder(out))}`);
    const r = await inTerminal(
      mesh,
      ['analyze', '-A', '--timeout', '1s', '--kubeconfig', kubeconfig],
      askedFor('ABC-123', 2500),
    );
    // before: "did not finish within 1s", the plugin killed while the user was logging in
    expect(r.screen).not.toContain('did not finish');
    expect(r.screen).toContain('✔ No validation issues found');
    expect(r.code).toBe(0);
    expect(received(out).stdin).toBe('ABC-123');
  });

  it('no spinner draws over its prompt while it waits for the answer; Ctrl+C is read as Ctrl+C', async () => {
    const out = fresh();
    const kubeconfig = withExec(`apiVersion: ${V1}, interactiveMode: IfAvailable, ${sh(recorder(out))}`);
    // certs -A shows "Listing proxy pods" after 1 s of waiting, and the plugin is asked inside that wait
    const r = await inTerminal(mesh, ['certs', '-A', '--timeout', '10s', '--kubeconfig', kubeconfig], {
      ...askedFor('ABC-123', 2500),
      columns: 120,
    });
    const beforeAnswer = r.screen.slice(0, r.screen.indexOf('ABC-123'));
    // before: ora drew over the prompt's line (erasing it) every frame, and read the keys typed
    expect(beforeAnswer).toContain('Enter the code shown in your browser: ');
    expect(beforeAnswer).not.toContain('Listing proxy pods');
    expect(beforeAnswer).not.toContain('\x1b[0K');
    expect(received(out).stdin).toBe('ABC-123');
  });

  it('Never: no stdin and interactive: false, a terminal or not', async () => {
    const out = fresh();
    const kubeconfig = withExec(`apiVersion: ${V1}, interactiveMode: Never, ${sh(recorder(out))}`);
    const r = await inTerminal(mesh, ['analyze', '-A', '--timeout', '10s', '--kubeconfig', kubeconfig]);
    expect(r.code).toBe(0);
    expect(received(out)).toEqual({
      request: expect.objectContaining({ spec: { interactive: false } }),
      stdin: '<EOF>',
    });
  });
});

describe('provideClusterInfo: true', () => {
  it("the request's spec.cluster has the cluster as client-go gives it (CA bytes from a relative file, the exec extension as config)", async () => {
    const out = fresh();
    const folder = join(dir, `cluster-info-${Math.random().toString(36).slice(2)}`);
    mkdirSync(folder);
    writeFileSync(join(folder, 'ca.crt'), readFileSync(serverCert));
    const exec = `apiVersion: ${V1}, interactiveMode: Never, provideClusterInfo: true, ${sh(recorder(out))}`;
    const kubeconfig = withExec(exec, {
      in: folder,
      cluster: [
        'certificate-authority: ca.crt',
        'tls-server-name: api.internal',
        'proxy-url: "http://127.0.0.1:9"', // nothing listens there: what the plugin got is the point
        'disable-compression: true',
        'extensions: [{name: other/thing, extension: {a: 1}}, {name: client.authentication.k8s.io/exec, extension: {audience: mesh-test, scopes: [read, write]}}]',
      ].join(', '),
    });
    await runCli(['analyze', '-A', '--kubeconfig', kubeconfig]);
    expect(received(out).request).toEqual({
      apiVersion: V1,
      kind: 'ExecCredential',
      spec: {
        cluster: {
          server: plainUrl,
          'tls-server-name': 'api.internal',
          'certificate-authority-data': readFileSync(serverCert).toString('base64'),
          'proxy-url': 'http://127.0.0.1:9',
          'disable-compression': true,
          config: { audience: 'mesh-test', scopes: ['read', 'write'] },
        },
        interactive: false,
      },
    });
  });

  it('certificate-authority-data as given, insecure-skip-tls-verify, and no empty fields', async () => {
    const out = fresh();
    const exec = `apiVersion: ${V1}, interactiveMode: Never, provideClusterInfo: true, ${sh(recorder(out))}`;
    const r = await runCli([
      'analyze',
      '-A',
      '--kubeconfig',
      withExec(exec, { cluster: 'insecure-skip-tls-verify: true' }),
    ]);
    expect(r.code).toBe(0);
    expect(received(out).request.spec.cluster).toEqual({
      server: plainUrl,
      'insecure-skip-tls-verify': true,
    });
    const data = Buffer.from('-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n').toString(
      'base64',
    );
    const withData = fresh();
    const exec2 = `apiVersion: ${V1}, interactiveMode: Never, provideClusterInfo: true, ${sh(recorder(withData))}`;
    await runCli([
      'analyze',
      '-A',
      '--kubeconfig',
      withExec(exec2, { cluster: `certificate-authority-data: ${data}` }),
    ]);
    expect(received(withData).request.spec.cluster).toEqual({
      server: plainUrl,
      'certificate-authority-data': data,
    });
  });
});

describe('the command', () => {
  /** An executable `#!/bin/sh` script at `file` that answers `token`. */
  const tokenScript = (file: string, token: string) => {
    mkdirSync(dirname(file), { recursive: true });
    writeFileSync(file, `#!/bin/sh\necho '${answer(token)}'\n`, { mode: 0o755 });
  };

  it('given as a path (./bin/get-token) is relative to the kubeconfig it is in (of those KUBECONFIG lists); a bare name is looked up on PATH', async () => {
    const base = join(dir, `paths-${Math.random().toString(36).slice(2)}`);
    // the first file has the cluster and the context, the second the user
    mkdirSync(join(base, 'a'), { recursive: true });
    const a = join(base, 'a', 'config');
    const b = join(base, 'b', 'config');
    writeFileSync(
      a,
      `apiVersion: v1\nkind: Config\nclusters: [{name: x, cluster: {server: "${plainUrl}"}}]\ncontexts: [{name: x, context: {cluster: x, user: x}}]\ncurrent-context: x\n`,
    );
    tokenScript(join(base, 'a', 'bin', 'get-token'), 'from-the-first-file');
    tokenScript(join(base, 'b', 'bin', 'get-token'), 'from-its-kubeconfig-folder');
    tokenScript(join(base, 'b', 'mesh-test-get-token'), 'from-its-kubeconfig-folder');
    tokenScript(join(base, 'path', 'mesh-test-get-token'), 'from-PATH');
    const user = (command: string) =>
      writeFileSync(
        b,
        `apiVersion: v1\nkind: Config\nusers: [{name: x, user: {exec: {apiVersion: ${V1}, interactiveMode: Never, command: ${command}}}}]\n`,
      );
    const saved = { KUBECONFIG: process.env.KUBECONFIG, PATH: process.env.PATH };
    process.env.KUBECONFIG = [a, b].join(delimiter);
    process.env.PATH = [join(base, 'path'), process.env.PATH].join(delimiter);
    const token = async () =>
      (await new KubeRest(loadKubeContext(), 5000).request('GET', '/api/v1/namespaces/x')).body.metadata.name;
    try {
      user('./bin/get-token');
      // before: relative to mesh's working folder, where there is none ("spawn ./bin/get-token ENOENT")
      expect(await token()).toBe('Bearer from-its-kubeconfig-folder');
      user('mesh-test-get-token');
      expect(await token()).toBe('Bearer from-PATH');
    } finally {
      for (const [k, v] of Object.entries(saved))
        if (v === undefined) delete process.env[k];
        else process.env[k] = v;
    }
  });

  it.each([
    [
      'mesh-test-no-such-plugin',
      'installHint: "mesh-test-no-such-plugin comes with the Example CLI:\\n  brew install example-cli"',
      'the credential plugin "mesh-test-no-such-plugin" was not found on PATH (is it installed?)',
      ['Hint: mesh-test-no-such-plugin comes with the Example CLI:', '  brew install example-cli'],
    ],
    [
      'mesh-test-no-such-plugin',
      '',
      'the credential plugin "mesh-test-no-such-plugin" was not found on PATH (is it installed?)',
      ['Hint: install it, or add the folder it is in to PATH'],
    ],
    [
      './bin/no-such-plugin',
      '',
      'the credential plugin "<kubeconfig folder>/bin/no-such-plugin" was not found',
      ['Hint: check its path (a relative one is relative to the folder of its kubeconfig)'],
    ],
  ])(
    '%s not found (%s): one line, then the installHint kubectl shows',
    async (command, hint, error, hints) => {
      const kubeconfig = withExec(
        `apiVersion: ${V1}, interactiveMode: Never, command: ${command}${hint ? `, ${hint}` : ''}`,
      );
      const r = await runCli(['analyze', '-A', '--kubeconfig', kubeconfig]);
      expect(r.code).toBe(1);
      // before: `failed: spawn mesh-test-no-such-plugin ENOENT` and "log in again"
      expect(lines(r.stderr)).toEqual([
        `Error: cannot get credentials for context "x": ${error.replace('<kubeconfig folder>', dir)}`,
        ...hints,
      ]);
    },
  );
});
