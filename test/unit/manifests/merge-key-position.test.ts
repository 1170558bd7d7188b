// A finding on a field that a YAML merge key (`<<: *defaults`) brought in points at the merge key's line,
// as the README says, also when `<<:` is on a line of its own (it pointed at the parent key's line).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { runCli } from '../../support/cli.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import { positionOf } from '../../../src/manifests/positions.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

const dir = mkdtempSync(join(tmpdir(), 'mesh-merge-line-'));

function write(name: string, lines: string[]): string {
  const file = join(dir, name);
  writeFileSync(file, `${lines.join('\n')}\n`);
  return file;
}

describe('the line of a field merged in with <<', () => {
  it('analyze: the merged-in label is reported on the merge key line, the anchored one on its own', async () => {
    const file = write('merge.yaml', [
      'apiVersion: v1',
      'kind: Service',
      'metadata:',
      '  name: s2',
      '  namespace: shop',
      '  annotations: &defaults',
      '    version: 1.0',
      '  labels:',
      '    <<: *defaults',
      '    app: x',
      'spec:',
      '  ports: [{port: 80, name: http}]',
    ]);
    const r = await runCli(['analyze', file]);
    expect(r.code).toBe(79);
    expect(r.stdout).toBe(
      `Error [MSH1007] (Service shop/s2 ${file}:7) metadata.annotations.version is a number, not a string: the API server rejects the object\n` +
        `Error [MSH1007] (Service shop/s2 ${file}:9) metadata.labels.version is a number, not a string: the API server rejects the object\n`,
    );
  });

  it('finds the merge key of a list of aliases, of an inline mapping, and through a nested merge', () => {
    const text = [
      'apiVersion: v1',
      'kind: ConfigMap',
      'metadata:',
      '  name: c',
      '  annotations: &a',
      '    a: x',
      '  labels: &b',
      '    <<: *a',
      '    b: y',
      'data:',
      '  one:',
      '    own: z',
      '    <<: [*b, {c: w}]',
      '  two:',
      '    "<<": *a',
      '  three:',
      '    <<: {d: v}',
    ].join('\n');
    const resources: Resource[] = [];
    parseManifestText(text, 'c.yaml', resources, [] as LoadProblem[]);
    const [r] = resources;
    const line = (path: string) => positionOf(r!, path)?.line;
    expect(line('data.one.own')).toBe(12);
    expect(line('data.one.a')).toBe(13); // through *b's own merge of *a
    expect(line('data.one.b')).toBe(13);
    expect(line('data.one.c')).toBe(13); // the inline mapping
    expect(line('data.three.d')).toBe(17);
    // a quoted "<<" is an ordinary key, which merges nothing: a missing field points at its parent
    expect(line('data.two.a')).toBe(14);
    expect(line('data.one.missing')).toBe(11);
  });
});
