import { describe, expect, it } from 'vitest';
import {
  matchField,
  matchHost,
  matchIp,
  matchPath,
  matchString,
  pathTemplateError,
} from '../../../src/authz/match.js';

describe('Istio value matching', () => {
  it('string: exact, prefix*, *suffix and * (present)', () => {
    expect(matchString('GET', 'GET')).toBe(true);
    expect(matchString('GET', 'get')).toBe(false);
    expect(matchString('/api/*', '/api/v1')).toBe(true);
    expect(matchString('/api/*', '/apix')).toBe(false);
    expect(matchString('*.svc', 'a.svc')).toBe(true);
    expect(matchString('*', 'x')).toBe(true);
    expect(matchString('*', '')).toBe(false);
    expect(matchString('*', undefined)).toBe(false);
    expect(matchString('a*b', 'a*b')).toBe(true);
    expect(matchString('a*b', 'axb')).toBe(false);
  });

  it('paths: {*} is one segment, {**} the rest; the query string is ignored', () => {
    expect(matchPath('/users/{*}/orders', '/users/7/orders')).toBe(true);
    expect(matchPath('/users/{*}/orders', '/users/7/8/orders')).toBe(false);
    expect(matchPath('/users/{*}', '/users/')).toBe(false);
    expect(matchPath('/files/{**}', '/files/a/b/c.txt')).toBe(true);
    expect(matchPath('/files/{**}', '/files/')).toBe(true);
    expect(matchPath('/files/{**}', '/other/a')).toBe(false);
    expect(matchPath('/{*}/admin/{**}', '/x/admin/a/b')).toBe(true);
    expect(matchPath('/health', '/health?verbose=1')).toBe(true);
    expect(matchPath('/a.b', '/aXb')).toBe(false);
  });

  it('paths: invalid templates never match and say why', () => {
    expect(pathTemplateError('/a/{**}/b/{*}')).toBe('{**} must be the last operator of the path');
    expect(pathTemplateError('/a/x{*}')).toBe('"x{*}": a template operator must be a whole path segment');
    expect(pathTemplateError('/a/{**}/b')).toBeUndefined();
    expect(matchPath('/a/x{*}', '/a/xy')).toBe(false);
  });

  it('hosts: case-insensitive against the whole :authority, its port included (Istio HostMatcher)', () => {
    expect(matchHost('Example.COM', 'example.com')).toBe(true);
    expect(matchHost('example.com', 'example.com:8080')).toBe(false);
    expect(matchHost('*.example.com', 'api.example.com:443')).toBe(false);
    expect(matchHost('*.example.com:443', 'API.example.com:443')).toBe(true);
    expect(matchHost('example.com*', 'example.com:8080')).toBe(true);
    expect(matchHost('*', 'anything:1')).toBe(true);
    expect(matchHost('example.com:8080', 'example.com:9090')).toBe(false);
    expect(matchHost('example.com', 'example.org')).toBe(false);
  });

  it('IPs and CIDR blocks, v4 and v6', () => {
    expect(matchIp('10.0.0.0/8', '10.1.2.3')).toBe(true);
    expect(matchIp('10.0.0.0/8', '11.1.2.3')).toBe(false);
    expect(matchIp('192.168.1.5', '192.168.1.5')).toBe(true);
    expect(matchIp('2001:db8::/32', '2001:db8::1')).toBe(true);
    expect(matchIp('10.0.0.0/8', '2001:db8::1')).toBe(false);
    expect(matchIp('10.0.0.0/33', '10.0.0.1')).toBe(false);
    expect(matchIp('10.0.0.0/8', undefined)).toBe(false);
  });

  it('values and notValues combine: one value must match and no notValue may', () => {
    expect(matchField(['a', 'b'], undefined, 'b', matchString)).toBe(true);
    expect(matchField(['a'], undefined, 'b', matchString)).toBe(false);
    expect(matchField(undefined, ['b'], 'b', matchString)).toBe(false);
    expect(matchField(undefined, ['*'], undefined, matchString)).toBe(true);
    expect(matchField(['x*'], ['xy'], 'xy', matchString)).toBe(false);
    expect(matchField([], [], 'anything', matchString)).toBe(true);
  });
});
