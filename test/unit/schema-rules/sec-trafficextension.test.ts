import { describe, expect, it } from 'vitest';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const te = (spec: string) => check('TrafficExtension', 'extensions.istio.io/v1alpha1', spec);
const lua = (code: string) => te(`spec:\n  lua:\n    inlineCode: ${JSON.stringify(code)}\n`);

describe('TrafficExtension semantic rules', () => {
  it('accepts realistic Lua and Wasm extensions', () => {
    const resources = fixture('trafficextension-valid.yaml');
    expect(resources).toHaveLength(2);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  it('requires exactly one of wasm and lua', () => {
    expect(at(te('spec:\n  phase: AUTHN\n'), 'spec')).toMatchObject({
      level: 'error',
      message: 'a TrafficExtension needs its code: set wasm or lua',
    });
    const both = te('spec:\n  lua: {inlineCode: "x"}\n  wasm: {url: "oci://r/x"}\n');
    expect(at(both, 'spec.lua').message).toBe('a TrafficExtension is either wasm or lua; remove one of them');
  });

  it('requires inline Lua of 1 byte to 64 KiB', () => {
    expect(at(lua(''), 'spec.lua.inlineCode').message).toBe('lua.inlineCode must be set');
    expect(at(te('spec:\n  lua: {}\n'), 'spec.lua.inlineCode').level).toBe('error');
    expect(lua('-'.repeat(64 * 1024))).toEqual([]);
    expect(at(lua('é'.repeat(32 * 1024 + 1)), 'spec.lua.inlineCode').message).toBe(
      'lua.inlineCode must be at most 65536 bytes (found 65538)',
    );
  });

  it('checks the wasm block like a WasmPlugin, under spec.wasm', () => {
    const issues = te(`spec:
  wasm:
    url: ftp://r/x.wasm
    sha256: "1234"
    vmConfig:
      env: [{name: A, valueFrom: HOST, value: v}]
`);
    expect(at(issues, 'spec.wasm.url').message).toBe(
      'url scheme "ftp" is not supported; use oci, https, http or file',
    );
    expect(at(issues, 'spec.wasm.sha256').message).toBe(
      'sha256 must be 64 hex digits long (found 4 characters)',
    );
    expect(at(issues, 'spec.wasm.vmConfig.env[0].value').level).toBe('error');
    expect(at(te('spec:\n  wasm: {}\n'), 'spec.wasm.url').message).toContain('url is required');
  });

  it('checks match ports and targeting', () => {
    const issues = te(`spec:
  lua: {inlineCode: "function envoy_on_request(h) end"}
  selector: {matchLabels: {app: web}}
  targetRefs: [{kind: HTTPRoute, group: gateway.networking.k8s.io, name: r}]
  match: [{ports: [{number: 65536}]}]
`);
    expect(at(issues, 'spec.match[0].ports[0].number').message).toBe(
      'port number 65536 is not between 1 and 65535',
    );
    expect(at(issues, 'spec.targetRefs').message).toContain('found selector and targetRefs');
    expect(at(issues, 'spec.targetRefs[0].kind').message).toContain('gateway.networking.k8s.io/HTTPRoute');
  });
});
