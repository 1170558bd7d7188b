/**
 * Reports are rendered and written in pieces, so that a report larger than V8's longest string (about
 * 512 MiB) is printed instead of failing with `Invalid string length`, and every format writes the same
 * bytes as it did when it built one string (test/fixtures/render-golden: that CLI's output).
 */
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import fc from 'fast-check';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import type { Finding } from '../../../src/analyzers/types.js';
import { jsonChunks, writeChunks, type Chunks } from '../../../src/render/chunks.js';
import { codeClimateChunks, junitChunks } from '../../../src/render/ci.js';
import { githubChunks, logChunks, yamlChunks } from '../../../src/render/findings.js';
import { sarifChunks } from '../../../src/render/sarif.js';
import { writeStdout } from '../../../src/util/output.js';
import { runCli } from '../../support/cli.js';
import {
  captureStdout,
  LineSink,
  reportOf,
  runCliLines,
  syntheticInput,
  type RenderInput,
} from './report-fixtures.js';

/** The whole text of pieces. */
const whole = (chunks: Iterable<string>) => [...chunks].join('');

/** Each format's pieces. */
const FORMATS: Record<string, (i: RenderInput) => Chunks | Promise<Chunks>> = {
  log: (i) => logChunks(i.findings, false),
  github: (i) => githubChunks(i.findings),
  json: (i) => jsonChunks(i.report),
  yaml: (i) => yamlChunks(i.report),
  sarif: (i) => sarifChunks(i.findings, i.problems, '1.2.3'),
  junit: (i) => junitChunks(i.ci),
  codeclimate: (i) => codeClimateChunks(i.findings, i.problems),
};

/** The golden output of `mesh analyze examples/ -o FORMAT`, made by the CLI that built each report as one string. */
const golden = (format: string) =>
  readFileSync(join(import.meta.dirname, '../../fixtures/render-golden', `examples.${format}`), 'utf8');

describe('every format prints what it printed when it built one string', () => {
  // test/fixtures/render-golden: the output of the CLI before reports were written in pieces
  it.each(Object.keys(FORMATS))('mesh analyze examples/ -o %s', async (format) => {
    const r = await runCli(['analyze', 'examples/', '-o', format]);
    expect(r.code).toBe(79);
    // JUnit: the analyzers' times differ from run to run
    const untimed = (t: string) => t.replace(/ time="[0-9.]+"/g, ' time=""');
    expect(untimed(r.stdout)).toBe(untimed(golden(format)));
  });

  it.each(Object.keys(FORMATS))(
    '%s: the same text however the pieces are written (20,000 findings)',
    async (format) => {
      const input = syntheticInput(20_000);
      const pieces = [...(await FORMATS[format]!(input))];
      expect(await captureStdout(() => writeChunks(pieces))).toBe(
        await captureStdout(() => writeStdout(pieces.join(''))),
      );
    },
  );
});

describe('jsonChunks', () => {
  it('is JSON.stringify(value, null, 2) for any JSON value, however it is split', () => {
    fc.assert(
      fc.property(
        fc.jsonValue({ maxDepth: 5 }),
        fc.integer({ min: 1, max: 4 }),
        fc.integer({ min: 1, max: 300 }),
        (value, batch, maxPiece) => {
          expect(whole(jsonChunks(value, { batch, maxPiece }))).toBe(JSON.stringify(value, null, 2));
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('is JSON.stringify for what JSON leaves out or converts (undefined, functions, toJSON, sparse arrays)', () => {
    const big = Array.from({ length: 7 }, (_, i) => ({ i, skip: undefined, at: new Date(i * 1000) }));
    const value = {
      a: undefined,
      f: () => 1,
      s: Symbol('x'),
      d: new Date(0),
      own: { toJSON: (key: string) => `key ${key}` },
      boxed: [new String('s'), new Number(1), new Boolean(false)],
      holes: [1, , 3, undefined, () => 1], // eslint-disable-line no-sparse-arrays
      empty: { a: undefined },
      nested: [[[big]], big, { big }],
      nan: [NaN, -0, Infinity],
    };
    for (const batch of [1, 2, 3, 100])
      for (const maxPiece of [1, 50, 10_000])
        expect(whole(jsonChunks(value, { batch, maxPiece })), `${batch}/${maxPiece}`).toBe(
          JSON.stringify(value, null, 2),
        );
    const cycle: Record<string, unknown> = {};
    cycle.self = [cycle];
    expect(() => whole(jsonChunks(cycle))).toThrow(TypeError);
  });

  it('serializes a long array a batch at a time, splitting a batch that would be too long', () => {
    const findings = Array.from({ length: 1000 }, (_, i) => ({
      i,
      message: 'x'.repeat(i % 100 === 0 ? 5000 : 20),
    }));
    const report = { kind: 'AnalysisReport', runs: [{ results: findings }] };
    const pieces = [...jsonChunks(report, { batch: 64, maxPiece: 4096 })];
    expect(pieces.join('')).toBe(JSON.stringify(report, null, 2));
    // no piece is much longer than maxPiece, but for a lone element longer than it (its long member)
    const long = pieces.filter((p) => p.length > 4096);
    expect(long.length).toBe(10);
    for (const p of long) expect(p).toBe(JSON.stringify('x'.repeat(5000)));
  });
});

describe('yamlChunks', () => {
  it('is the yaml library’s text of the report, however the findings are batched', async () => {
    const text = fc.string({ maxLength: 30 });
    const finding = fc.record(
      { code: text, level: fc.constantFrom('Error', 'Warning'), message: text, line: fc.nat(), file: text },
      { requiredKeys: ['code', 'message'] },
    );
    await fc.assert(
      fc.asyncProperty(
        fc.array(finding, { maxLength: 12 }),
        fc.array(fc.record({ file: text, message: text }), { maxLength: 3 }),
        fc.integer({ min: 1, max: 4 }),
        async (findings, problems, batch) => {
          const report = { apiVersion: 'mesh/v1', findings, problems, summary: { total: findings.length } };
          expect(whole(await yamlChunks(report, batch))).toBe(
            whole(await yamlChunks(report, Number.MAX_SAFE_INTEGER)),
          );
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('writeChunks', () => {
  it('writes what writeStdout wrote for one text: nothing, or the text and one final newline', async () => {
    const cases: string[][] = [
      [],
      [''],
      ['', ''],
      ['a'],
      ['a\n'],
      ['ab', 'c\n', ''],
      ['abcd', '\n'],
      ['x\n\n'],
    ];
    for (const pieces of cases)
      for (const flushAt of [1, 2, 4, 1 << 20]) {
        const text = pieces.join('');
        const before = await captureStdout(() => writeStdout(text));
        const now = await captureStdout(() => writeChunks(pieces, process.stdout, flushAt));
        expect(now, JSON.stringify({ pieces, flushAt })).toBe(before);
      }
  });

  it('waits for a slow reader: never more than one write is queued, and it resolves once all is written', async () => {
    let queued = 0;
    let received = '';
    const slow = new Writable({
      decodeStrings: false,
      highWaterMark: 16,
      write(chunk: string, _encoding, callback) {
        received += chunk;
        setTimeout(callback, 1);
      },
    });
    const write = slow.write.bind(slow);
    slow.write = ((chunk: string, ...rest: never[]) => {
      queued = Math.max(queued, slow.writableLength + chunk.length);
      return write(chunk, ...rest);
    }) as typeof slow.write;
    const pieces = Array.from({ length: 200 }, (_, i) => `piece ${i}\n`);
    await writeChunks(pieces, slow, 40);
    expect(received).toBe(pieces.join(''));
    // a write is gathered pieces of at least 40 characters (and at most one piece more)
    expect(queued).toBeLessThan(60);
  });
});

describe('reports larger than V8’s longest string', () => {
  // 2^29 - 24: the longest string V8 makes on 64-bit platforms; a format that builds its whole text fails.
  const LONGEST_STRING = 2 ** 29 - 24;

  /**
   * 6,000 findings that share one message of 100,000 characters (an IST0145 naming thousands of gateways):
   * each format prints more than LONGEST_STRING characters. The sink keeps no text: a line holding the
   * message is checked to hold it whole and kept with `…` instead, and what is kept is parsed.
   */
  const N = 6_000;
  const gateways = Array.from({ length: 8_400 }, (_, i) => `shop/gw-${i}`).join(',');
  const message = `Conflict with gateways ${gateways} (workload selector istio=ingressgateway, port 443)`;

  let input: RenderInput | undefined;
  const big = () => (input ??= syntheticInput(N, () => message));

  async function print(format: string): Promise<{ kept: string; chars: number; messages: number }> {
    const input = big();
    const kept: string[] = [];
    let messages = 0;
    const sink = new LineSink((line) => {
      if (line.length < 50_000) return void kept.push(line);
      const parts = line.split(message);
      messages += parts.length - 1;
      expect(parts.join('').length, 'a long line is the message and a short text').toBeLessThan(1000);
      kept.push(parts.join('…'));
    });
    await writeChunks(await FORMATS[format]!(input), sink);
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(sink.longestWrite).toBeLessThan(LONGEST_STRING / 4);
    return { kept: kept.join('\n'), chars: sink.chars, messages };
  }

  /** The lines log and github print once, each (the findings that differ in what a line does not show). */
  const lines = (render: (findings: Finding[]) => string) =>
    render(syntheticInput(N, () => '…').findings)
      .replace(/\n$/, '')
      .split('\n');

  it('log: every line, each whole', async () => {
    const { kept, chars, messages } = await print('log');
    expect(message.length).toBeGreaterThan(100_000);
    expect(chars).toBeGreaterThan(LONGEST_STRING);
    const expected = lines((f) => whole(logChunks(f, false)));
    expect(expected.length).toBeGreaterThan(N * 0.8);
    expect(messages).toBe(expected.length);
    expect(kept.split('\n')).toEqual(expected);
    expect(expected[0]).toBe(
      'Warning [IST0101] (VirtualService ns-0/svc-0 manifests/team-0/app-0.yaml:13) …',
    );
  });

  /** 7,500 VirtualServices that share a host: 7,500 IST0109 findings, each naming all of them. */
  let manifest: string | undefined;
  const sharedHost = () => {
    if (manifest) return manifest;
    manifest = join(mkdtempSync(join(tmpdir(), 'mesh-render-')), 'vs.yaml');
    const vs = (i: number) =>
      `apiVersion: networking.istio.io/v1\nkind: VirtualService\nmetadata: {name: vs${i}, namespace: shop}\n` +
      'spec:\n  hosts: [same.example.com]\n  http: [{route: [{destination: {host: same.example.com}}]}]\n';
    writeFileSync(manifest, Array.from({ length: 7_500 }, (_, i) => vs(i)).join('---\n'));
    return manifest;
  };

  it('mesh analyze prints every line for 7,500 VirtualServices that share a host (about 680 MB)', async () => {
    const file = sharedHost();
    let lines = 0;
    let wrong = 0;
    const r = await runCliLines(['analyze', file], (line) => {
      lines++;
      if (
        !/^Error \[IST0109\] \(VirtualService shop\/vs\d+ /.test(line) ||
        !line.endsWith('single resource.')
      )
        wrong++;
    });
    expect(r.stderr).toBe(`Error: Analyzers found issues when analyzing ${file}.\n`);
    expect(r.code).toBe(79);
    expect(r.chars).toBeGreaterThan(LONGEST_STRING);
    expect(lines).toBe(7_500);
    expect(wrong).toBe(0);
  });

  it('mesh analyze -o json prints them as valid JSON', async () => {
    const file = sharedHost();
    let message: string | undefined;
    let messages = 0;
    const kept: string[] = [];
    const r = await runCliLines(['analyze', file, '-o', 'json'], (line) => {
      if (line.length < 50_000) return void kept.push(line);
      // `      "message": "The VirtualServices shop/vs0,…,shop/vs7499 associated with …",`
      message ??= line.slice(line.indexOf('"The VirtualServices'), line.lastIndexOf('"') + 1);
      const parts = line.split(message);
      expect(parts).toHaveLength(2);
      messages++;
      kept.push(parts.join('"…"'));
    });
    expect(r.code).toBe(79);
    expect(r.chars).toBeGreaterThan(LONGEST_STRING);
    expect(messages).toBe(7_500);
    const text: string = JSON.parse(message!);
    expect(text).toMatch(
      /^The VirtualServices shop\/vs0,shop\/vs1,shop\/vs10,.* associated with mesh gateway/,
    );
    expect(text.split(',')).toHaveLength(7_500);
    const report = JSON.parse(kept.join('\n'));
    expect(report.findings).toHaveLength(7_500);
    expect(report.summary).toMatchObject({ errors: 7_500, total: 7_500, exitCode: 79 });
  });

  it('github: every workflow command, each whole', async () => {
    const { kept, chars, messages } = await print('github');
    expect(chars).toBeGreaterThan(LONGEST_STRING);
    const expected = lines((f) => whole(githubChunks(f)));
    expect(messages).toBe(expected.length);
    expect(kept.split('\n')).toEqual(expected);
  });

  it.each(['json', 'sarif', 'codeclimate'])('%s: valid JSON with every finding', async (format) => {
    const { kept, chars, messages } = await print(format);
    expect(chars).toBeGreaterThan(LONGEST_STRING);
    expect(messages).toBe(N);
    const parsed = JSON.parse(kept);
    const list = format === 'json' ? parsed.findings : format === 'sarif' ? parsed.runs[0].results : parsed;
    expect(list.filter((x: any) => x.check_name !== 'mesh.ParseError')).toHaveLength(N);
  });

  it('yaml: valid YAML with every finding', async () => {
    const { kept, chars, messages } = await print('yaml');
    expect(chars).toBeGreaterThan(LONGEST_STRING);
    expect(messages).toBe(N);
    const parsed = parseYaml(kept);
    expect(parsed.findings).toHaveLength(N);
    expect(parsed.findings[N - 1].message).toBe('…');
  });

  it('junit: every case, with its failure text', async () => {
    const { kept, chars, messages } = await print('junit');
    expect(chars).toBeGreaterThan(LONGEST_STRING);
    // a failing case names its first failure in an attribute and gives its lines as text
    expect(messages).toBeGreaterThan(N);
    expect(kept.startsWith('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="mesh analyze"')).toBe(
      true,
    );
    expect(kept.endsWith('\n</testsuites>')).toBe(true);
    expect(kept.match(/<testcase /g)!.length).toBeGreaterThan(N / 2);
  });
});

describe('1,000,000 findings', () => {
  it('-o json’s renderer and writer print them all as valid JSON (about 600 MB, more than a string holds)', async () => {
    // findings as the analyzers make them (about 600 bytes of JSON each), on 1,000 objects
    const findings: Finding[] = [];
    for (let i = 0; i < 1_000_000; i++)
      findings.push({
        code: 'IST0145',
        level: 'Error',
        message: `Conflict with gateways shop/gw-${i % 1000} and shop/gw-${(i + 1) % 1000} (workload selector istio=ingressgateway, port 443, hosts same.example.com, www.same.example.com and api.same.example.com).`,
        analyzer: 'gateway.ConflictingGatewayAnalyzer',
        origin: `Gateway shop/gw-${i % 1000}`,
        path: 'spec.servers[0].hosts[0]',
        file: 'manifests/gateways.yaml',
        line: 6 + (i % 1000) * 9,
        column: 40,
      });
    const report = reportOf(findings);
    // Each finding is parsed when its closing line arrives; the rest (the envelope) at the end.
    let finding: string[] | undefined;
    let parsed = 0;
    let last: any;
    const envelope: string[] = [];
    const sink = new LineSink((line) => {
      if (finding) {
        finding.push(line);
        if (line === '    },' || line === '    }') {
          last = JSON.parse(finding.join('\n').replace(/,$/, ''));
          parsed++;
          finding = undefined;
          envelope.push(line.endsWith(',') ? '0,' : '0');
        }
      } else if (line === '    {' && envelope.at(-1)?.match(/^ {2}"findings": \[$|^0,$/)) finding = [line];
      else envelope.push(line);
    });
    await writeChunks(jsonChunks(report), sink);
    await new Promise<void>((resolve) => sink.end(resolve));
    expect(sink.chars).toBeGreaterThan(2 ** 29);
    expect(parsed).toBe(1_000_000);
    expect(last).toMatchObject({ code: 'IST0145', origin: 'Gateway shop/gw-999', line: 6 + 999 * 9 });
    const rest = JSON.parse(envelope.join('\n'));
    expect(rest.findings).toHaveLength(1_000_000);
    expect(rest.summary).toMatchObject({ total: 1_000_000, errors: 1_000_000 });
  });
});
