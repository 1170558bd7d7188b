import { describe, expect, it } from 'vitest';
import { goJson, redactSecrets, toProtoJson } from '../../../src/envoy/protojson.js';

describe('toProtoJson', () => {
  it('renames message fields to lowerCamelCase but keeps map keys and Struct contents (sorted)', () => {
    const cluster = {
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      connect_timeout: '10s',
      metadata: {
        filter_metadata: { istio: { services: [{ host: 'a' }], z_key: 1 }, 'envoy.lb': { canary: true } },
      },
      typed_extension_protocol_options: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicit_http_config: { http2_protocol_options: {} },
        },
      },
    };
    expect(toProtoJson(cluster)).toEqual({
      '@type': 'type.googleapis.com/envoy.config.cluster.v3.Cluster',
      connectTimeout: '10s',
      metadata: {
        filterMetadata: { 'envoy.lb': { canary: true }, istio: { services: [{ host: 'a' }], z_key: 1 } },
      },
      typedExtensionProtocolOptions: {
        'envoy.extensions.upstreams.http.v3.HttpProtocolOptions': {
          '@type': 'type.googleapis.com/envoy.extensions.upstreams.http.v3.HttpProtocolOptions',
          explicitHttpConfig: { http2ProtocolOptions: {} },
        },
      },
    });
    expect(Object.keys((toProtoJson(cluster) as any).metadata.filterMetadata)).toEqual(['envoy.lb', 'istio']);
  });

  it('leaves node metadata, TypedStruct values and environment maps untouched', () => {
    const out = toProtoJson({
      node: {
        metadata: { ISTIO_VERSION: '1.2', PROXY_CONFIG: { drain_duration: '5s' } },
        user_agent_name: 'envoy',
      },
      typed_config: {
        '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
        type_url: 'x',
        value: { a_b: 1 },
      },
      environment_variables: { key_values: { MY_VAR: 'x' } },
    });
    expect(out).toEqual({
      node: {
        metadata: { ISTIO_VERSION: '1.2', PROXY_CONFIG: { drain_duration: '5s' } },
        userAgentName: 'envoy',
      },
      typedConfig: {
        '@type': 'type.googleapis.com/udpa.type.v1.TypedStruct',
        typeUrl: 'x',
        value: { a_b: 1 },
      },
      environmentVariables: { keyValues: { MY_VAR: 'x' } },
    });
  });

  it('is the identity on camelCase input', () => {
    const camel = { connectTimeout: '1s', lbEndpoints: [{ healthStatus: 'HEALTHY' }] };
    expect(toProtoJson(camel)).toEqual(camel);
  });
});

describe('redactSecrets', () => {
  const key = Buffer.from('-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n').toString(
    'base64',
  );

  it('replaces inline private keys, passwords and generic secrets, keeping files and the rest', () => {
    const secret = {
      name: 'default',
      tls_certificate: {
        certificate_chain: { inline_bytes: 'Y2VydA==' },
        private_key: { inline_bytes: key },
        password: { inline_string: 'hunter2' },
      },
      generic_secret: { secret: { inline_string: 'token' } },
      session_ticket_keys: { keys: [{ inline_bytes: 'a2V5' }, { filename: '/etc/keys/k1' }] },
    };
    const out = redactSecrets({ dynamic_active_secrets: [{ name: 'default', secret }] }) as any;
    const s = out.dynamic_active_secrets[0].secret;
    expect(s.tls_certificate.private_key.inline_bytes).toBe('W3JlZGFjdGVkXQ==');
    expect(s.tls_certificate.password.inline_string).toBe('[redacted]');
    expect(s.tls_certificate.certificate_chain.inline_bytes).toBe('Y2VydA==');
    expect(s.generic_secret.secret.inline_string).toBe('[redacted]');
    expect(s.session_ticket_keys.keys).toEqual([
      { inline_bytes: 'W3JlZGFjdGVkXQ==' },
      { filename: '/etc/keys/k1' },
    ]);
    expect(JSON.stringify(out)).not.toContain(key);
    expect(secret.tls_certificate.private_key.inline_bytes).toBe(key); // input untouched
  });

  it('returns the same object when nothing needed redacting (Envoy already did)', () => {
    const dump = {
      secret: { '@type': 'x', tls_certificate: { private_key: { inline_bytes: 'W3JlZGFjdGVkXQ==' } } },
    };
    expect(redactSecrets(dump)).toBe(dump);
  });
});

describe('goJson', () => {
  it("indents with 4 spaces and escapes <, > and & like Go's encoder", () => {
    expect(goJson({ a: ['<b> & c'] })).toBe('{\n    "a": [\n        "\\u003cb\\u003e \\u0026 c"\n    ]\n}');
  });
});
