import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { celSyntaxError } from '../../../src/analyzers/schema/rules/telemetry-cel.js';
import { at, check, fixture, issuesOf } from './sec-helpers.js';

const tel = (spec: string) => check('Telemetry', 'telemetry.istio.io/v1', spec);

describe('Telemetry semantic rules', () => {
  it('accepts realistic tracing, metrics and access-logging configuration', () => {
    const resources = fixture('telemetry-valid.yaml');
    expect(resources).toHaveLength(3);
    for (const r of resources) expect(issuesOf(r), r.name).toEqual([]);
  });

  it('requires provider names everywhere providers are referenced', () => {
    const issues = tel(`spec:
  tracing: [{providers: [{}]}]
  metrics: [{providers: [{name: prometheus}, null]}]
  accessLogging: [{providers: [{name: ""}]}]
`);
    expect(issues.map((i) => [i.level, i.path])).toEqual([
      ['error', 'spec.metrics[0].providers[1].name'],
      ['error', 'spec.tracing[0].providers[0].name'],
      ['error', 'spec.accessLogging[0].providers[0].name'],
    ]);
    expect(issues[0]!.message).toBe(
      'a provider reference needs the `name` of an extension provider from mesh config',
    );
  });

  it('checks tracing: one entry and one provider (warnings), sampling 0-100, custom tags', () => {
    const issues = tel(`spec:
  tracing:
  - providers: [{name: a}, {name: b}]
    randomSamplingPercentage: 100.5
    customTags:
      "": {literal: {value: x}}
      gone: null
      lit: {literal: {}}
      hdr: {header: {defaultValue: d}}
      env: {environment: {name: ""}}
  - randomSamplingPercentage: -1
`);
    expect(at(issues, 'spec.tracing')).toMatchObject({
      level: 'warning',
      message: '2 tracing entries found; Istio supports only one per Telemetry',
    });
    expect(at(issues, 'spec.tracing[0].providers')).toMatchObject({
      level: 'warning',
      message: 'several tracing providers found; Istio supports only one per tracing entry',
    });
    expect(at(issues, 'spec.tracing[0].randomSamplingPercentage').message).toBe(
      'randomSamplingPercentage is 100.5; it must be between 0 and 100',
    );
    expect(at(issues, 'spec.tracing[1].randomSamplingPercentage').level).toBe('error');
    expect(at(issues, 'spec.tracing[0].customTags[""]').message).toBe(
      'customTags has an entry with an empty tag name',
    );
    expect(at(issues, 'spec.tracing[0].customTags.gone').message).toBe(
      'custom tag "gone" has no value; set literal, environment or header',
    );
    expect(at(issues, 'spec.tracing[0].customTags.lit.literal.value').message).toBe(
      'custom tag "lit" needs a non-empty literal value',
    );
    expect(at(issues, 'spec.tracing[0].customTags.hdr.header.name').message).toBe(
      'custom tag "hdr" needs the name of the header to read',
    );
    expect(at(issues, 'spec.tracing[0].customTags.env.environment.name').message).toBe(
      'custom tag "env" needs the name of the environment variable to read',
    );
  });

  it('checks metrics overrides: non-null, UPSERT needs a value, REMOVE forbids one, custom metric names', () => {
    const issues = tel(`spec:
  metrics:
  - overrides:
    - null
    - tagOverrides:
        "": {value: x}
        dropped: null
        upsert_default: {}
        upsert: {operation: UPSERT, value: ""}
        remove: {operation: REMOVE, value: "x"}
      match: {customMetric: ""}
`);
    const o = 'spec.metrics[0].overrides';
    expect(at(issues, `${o}[0]`).message).toBe('an overrides entry cannot be null');
    expect(at(issues, `${o}[1].tagOverrides[""]`)).toMatchObject({
      level: 'warning',
      message: 'tagOverrides has an entry with an empty tag name',
    });
    expect(at(issues, `${o}[1].tagOverrides.dropped`).message).toBe(
      'tag override "dropped" cannot be null; set its operation (UPSERT or REMOVE)',
    );
    expect(at(issues, `${o}[1].tagOverrides.upsert_default.value`).message).toBe(
      'tag override "upsert_default" uses operation UPSERT, which needs a value (a CEL expression)',
    );
    expect(at(issues, `${o}[1].tagOverrides.upsert.value`).level).toBe('error');
    expect(at(issues, `${o}[1].tagOverrides.remove.value`).message).toBe(
      'tag override "remove" removes the tag (operation REMOVE), so it takes no value',
    );
    expect(at(issues, `${o}[1].match.customMetric`).message).toBe(
      'match.customMetric is empty; give the name of the custom metric',
    );
  });

  it('requires access-log filter expressions to parse as CEL', () => {
    const issues = tel(`spec:
  accessLogging:
  - filter:
      expression: "response.code >= 400 &&"
  - filter: {}
`);
    const first = at(issues, 'spec.accessLogging[0].filter.expression');
    expect(first.level).toBe('error');
    expect(first.message).toBe(
      'the filter expression is not valid CEL: syntax error at column 24: unexpected end of expression',
    );
    expect(at(issues, 'spec.accessLogging[1].filter.expression').message).toContain(
      'unexpected end of expression',
    );
  });

  it('applies the selector / targetRefs rules', () => {
    const issues = tel('spec:\n  targetRefs: [{kind: Pod, name: x}]\n');
    expect(at(issues, 'spec.targetRefs[0].kind').message).toContain(
      'a target reference to /Pod is not supported',
    );
  });
});

describe('CEL syntax checker', () => {
  it.each([
    'response.code >= 400',
    `request.headers['x-foo'] == "bar" && !has(request.headers.baz)`,
    'a ? b : c ? d : e',
    '[1, 2, 3,].all(x, x > 0) && l.exists_one(e, e == 1) && l.map(x, x * 2).filter(y, y % 2 == 0) != []',
    `{'a': 1, "b": 2u,}.size() > 0`,
    '-9223372036854775808 < 18446744073709551615u',
    '0xFFu + 1.5e3 - .5 + 1e-3 + 0x1f',
    String.raw`r"raw\d" + b'bytes' + '''multi` +
      '\n' +
      String.raw`line''' + "esc\t\u00e9\x41\101\"" + br"\z"`,
    'google.protobuf.Timestamp{seconds: 1, nanos: 2,}.seconds > 0 || .pkg.Msg{} == x',
    'x in [1, 2] || y in {"a": 1}',
    '// leading comment\n  a // trailing\n',
    '!!true && --1 < -x',
    'f() + a.b.c() + .x + size(x) + timestamp("2020-01-01T00:00:00Z").getFullYear()',
    'a[0][1].b["c"]',
    'null == dyn(null) && double(1) / 2.0 != 0.0',
    'x.as == y.while',
    'a.constructor(1, 2) + a.toString() + a.__proto__.hasOwnProperty(x, y)',
  ])('accepts %s', (expr) => {
    expect(celSyntaxError(expr)).toBeUndefined();
  });

  it.each([
    ['', 'column 1: unexpected end of expression'],
    ['response.code >=', 'unexpected end of expression'],
    ['a && || b', "column 6: unexpected '||'"],
    ['(a', "expected ')' but found end of expression"],
    ['a = b', 'unexpected character "="'],
    ['a.in', "expected a field name but found 'in'"],
    ['if > 1', 'if is a reserved word'],
    ['has(a)', 'has() takes exactly one field selection'],
    ['has(a[0])', 'has() takes exactly one field selection'],
    ['l.all(1, true)', 'the first argument of all() must be a variable name'],
    ['l.map(x.y, x, x)', 'the first argument of map() must be a variable name'],
    ['a.?b', "optional field selection '.?' is not accepted"],
    ['m[?"k"]', "optional index '[?' is not accepted"],
    ['{?"k": 1}', "optional entries ('?key') are not accepted"],
    ['"unterminated', 'unterminated string literal'],
    ['"line\nbreak"', 'unterminated string literal'],
    [String.raw`"bad \q escape"`, String.raw`invalid escape sequence "\\q"`],
    ['9223372036854775808', 'integer 9223372036854775808 does not fit in 64 bits'],
    ['18446744073709551616u', 'unsigned integer 18446744073709551616u does not fit in 64 bits'],
    ['1e999', 'number 1e999 is too large for a double'],
    ['0x', 'invalid hexadecimal literal'],
    [String.raw`b"\u00e9"`, 'unicode escape sequences are not allowed in bytes literals'],
    [String.raw`"\ud800"`, 'the escape does not name a Unicode character'],
    ['f(a,)', "unexpected ')'"],
    ['a ? b', "expected ':' but found end of expression"],
    ['!-x', "unexpected '-'"],
    ['a b', "unexpected identifier 'b'"],
    ['a.`b`', 'unexpected character "`"'],
    ['a &&\n  || b', 'line 2, column 3'],
  ])('rejects %j (%s)', (expr, fragment) => {
    expect(celSyntaxError(expr)).toContain(fragment);
  });

  it('never throws on arbitrary text or token soup', () => {
    const token = fc.constantFrom(
      'a',
      '.',
      '(',
      ')',
      '[',
      ']',
      '{',
      '}',
      ',',
      ':',
      '?',
      '!',
      '-',
      '+',
      '&&',
      '||',
      '==',
      'in',
      'has',
      'all',
      '1',
      '1u',
      '0x1',
      '.5',
      '"s"',
      "r'x'",
      'b"\\x00"',
      '"""t"""',
      '\\',
      '//c\n',
      ' ',
      '`',
      '=',
    );
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          fc.array(token, { maxLength: 40 }).map((t) => t.join('')),
        ),
        (expr) => {
          const result = celSyntaxError(expr);
          expect(result === undefined || result.startsWith('syntax error at ')).toBe(true);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('refuses pathological input without crashing', () => {
    expect(celSyntaxError('('.repeat(300) + 'a' + ')'.repeat(300))).toContain('nests deeper than 250 levels');
    expect(celSyntaxError('('.repeat(200) + 'a' + ')'.repeat(200))).toBeUndefined();
    expect(celSyntaxError('a'.repeat(100_001))).toBe(
      'the expression is 100001 characters long; at most 100000 are allowed',
    );
    expect(celSyntaxError(Array.from({ length: 5000 }, (_, i) => `v${i}`).join(' || '))).toBeUndefined();
  });
});
