import { describe, expect, it } from 'vitest';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const wasm = (spec: string) => check('WasmPlugin', 'extensions.istio.io/v1alpha1', spec);
const url = (u: string) => wasm(`spec:\n  url: ${JSON.stringify(u)}\n`);

describe('WasmPlugin semantic rules', () => {
  it('accepts realistic plugins (oci, file, https and bare registry references)', () => {
    const resources = fixture('wasmplugin-valid.yaml');
    expect(resources).toHaveLength(4);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  describe('url', () => {
    it('is required', () => {
      expect(at(wasm('spec:\n  phase: AUTHN\n'), 'spec.url')).toMatchObject({
        level: 'error',
        message: 'url is required (an oci://, https://, http:// or file:// address of the module)',
      });
    });
    it('accepts the schemes oci, http(s), file and none (absolute path)', () => {
      for (const u of [
        'oci://r.io/a/b:1',
        'HTTPS://h/x.wasm',
        'file:///x.wasm',
        '/opt/x.wasm',
        'r.io/a/b@sha256:00',
      ])
        expect(url(u), u).toEqual([]);
    });
    it('rejects other schemes, including a registry host:port written without a scheme (read as a scheme)', () => {
      expect(at(url('ftp://example.com/filter.wasm'), 'spec.url').message).toBe(
        'url scheme "ftp" is not supported; use oci, https, http or file',
      );
      expect(at(url('localhost:5000/filters/auth:v1'), 'spec.url').message).toBe(
        'url scheme "localhost" is not supported; use oci, https, http or file',
      );
    });
    it('rejects URLs that do not parse even with an http:// prefix (bad escape, control character)', () => {
      expect(at(url('oci://registry/img%zz'), 'spec.url').message).toBe(
        'url is not a valid URL: "%zz" is not a valid percent-escape (expected % and two hex digits)',
      );
      expect(at(url('oci://registry/img\u0001'), 'spec.url').message).toBe(
        'url is not a valid URL: it contains a control character',
      );
    });
  });

  it('checks sha256, imagePullSecret and pluginName', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  sha256: ${'A'.repeat(64)}
  imagePullSecret: ${'s'.repeat(254)}
  pluginName: ${'p'.repeat(257)}
`);
    expect(at(issues, 'spec.sha256').message).toBe(
      'sha256 must contain only lowercase hex digits (0-9, a-f)',
    );
    expect(at(issues, 'spec.imagePullSecret').message).toBe(
      'imagePullSecret is 254 bytes long; at most 253 are allowed',
    );
    expect(at(issues, 'spec.pluginName').message).toBe(
      'pluginName is 257 bytes long; at most 256 are allowed',
    );
    expect(at(wasm('spec:\n  url: oci://r/x\n  sha256: abc\n'), 'spec.sha256').message).toBe(
      'sha256 must be 64 hex digits long (found 3 characters)',
    );
  });

  it('checks vmConfig env: names required, unique, at most 256 bytes; values only with INLINE', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  vmConfig:
    env:
    - value: orphan
    - {name: A, value: "1"}
    - {name: A}
    - {name: B, valueFrom: HOST, value: x}
    - {name: ${'n'.repeat(257)}}
    - {name: C, valueFrom: INLINE, value: ok}
`);
    const env = 'spec.vmConfig.env';
    expect(at(issues, `${env}[0].name`).message).toBe('a vmConfig.env entry needs a `name`');
    expect(at(issues, `${env}[2].name`).message).toBe(
      'env variable "A" is defined more than once in vmConfig.env',
    );
    expect(at(issues, `${env}[3].value`).message).toBe(
      'env variable "B" takes its value from the host (valueFrom: HOST), so `value` must be empty',
    );
    expect(at(issues, `${env}[4].name`).message).toBe(
      'the env name is 257 bytes long; at most 256 are allowed',
    );
    expect(issues).toHaveLength(4);
  });

  it('checks traffic match ports', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  match:
  - null
  - ports: [null, {number: 0}, {number: 70000}, {}, {number: 443}]
`);
    expect(at(issues, 'spec.match[0]').message).toBe('a match entry cannot be null');
    expect(at(issues, 'spec.match[1].ports[0]').message).toContain('a ports entry cannot be null');
    expect(at(issues, 'spec.match[1].ports[1].number').message).toBe(
      'port number 0 is not between 1 and 65535',
    );
    expect(at(issues, 'spec.match[1].ports[2].number').message).toContain('port number 70000 is not between');
    expect(at(issues, 'spec.match[1].ports[3].number')).toMatchObject({
      level: 'error',
      message: 'a ports entry needs a `number` (1-65535)',
    });
    expect(issues).toHaveLength(5);
  });

  it('applies the selector / targetRef(s) rules', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  targetRef: {kind: Gateway, group: gateway.networking.k8s.io, name: gw}
  targetRefs: [{kind: Gateway, group: gateway.networking.k8s.io, name: gw}]
`);
    expect(at(issues, 'spec.targetRefs').message).toContain('found targetRef and targetRefs');
  });
});
