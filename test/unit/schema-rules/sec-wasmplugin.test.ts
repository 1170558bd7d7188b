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
        message: 'url field needs to be set',
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
        'url contains unsupported scheme: ftp',
      );
      expect(at(url('localhost:5000/filters/auth:v1'), 'spec.url').message).toBe(
        'url contains unsupported scheme: localhost',
      );
    });
    it('rejects URLs that do not parse even with an http:// prefix (bad escape, control character)', () => {
      expect(at(url('oci://registry/img%zz'), 'spec.url').message).toBe(
        'failed to parse url: invalid URL escape "%zz"',
      );
      expect(at(url('oci://registry/img\u0001'), 'spec.url').message).toContain('invalid control character');
    });
  });

  it('checks sha256, imagePullSecret and pluginName', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  sha256: ${'A'.repeat(64)}
  imagePullSecret: ${'s'.repeat(254)}
  pluginName: ${'p'.repeat(257)}
`);
    expect(at(issues, 'spec.sha256').message).toBe('sha256 field must match [a-f0-9]{64} pattern');
    expect(at(issues, 'spec.imagePullSecret').message).toContain('at most 253 characters');
    expect(at(issues, 'spec.pluginName').message).toContain('at most 256 characters');
    expect(at(wasm('spec:\n  url: oci://r/x\n  sha256: abc\n'), 'spec.sha256').message).toBe(
      'sha256 field must be 64 characters long',
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
    expect(at(issues, `${env}[0].name`).message).toBe('vmConfig env name must not be empty');
    expect(at(issues, `${env}[2].name`).message).toBe('duplicate vmConfig env A');
    expect(at(issues, `${env}[3].value`).message).toBe(
      'value may only be set when valueFrom is INLINE (found HOST)',
    );
    expect(at(issues, `${env}[4].name`).message).toContain('at most 256 characters');
    expect(issues).toHaveLength(4);
  });

  it('checks traffic match ports', () => {
    const issues = wasm(`spec:
  url: oci://r/x
  match:
  - null
  - ports: [null, {number: 0}, {number: 70000}, {}, {number: 443}]
`);
    expect(at(issues, 'spec.match[0]').message).toBe('match[0] is nil');
    expect(at(issues, 'spec.match[1].ports[0]').message).toBe('match[1].ports[0] is nil');
    expect(at(issues, 'spec.match[1].ports[1].number').message).toBe('match[1].ports[1] is out of range: 0');
    expect(at(issues, 'spec.match[1].ports[2].number').message).toContain('out of range: 70000');
    expect(at(issues, 'spec.match[1].ports[3].number').level).toBe('error');
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
