/**
 * The proxy-status cases of ../shared/conformance/istioctl-proxy/cases.json that are about rendering
 * istiod's syncz answers: the reconstructed DiscoveryResponses (one per istiod) go through the same
 * functions `mesh proxy-status` uses, and the output is compared with istioctl's goldens (the current
 * layout, `-v 1`, the 1.22–1.26 layout, -o json / -o yaml with and without -n).
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import {
  renderStatusTable,
  responsesForOutput,
  rowsOf,
  type Layout,
  type ReplicaAnswer,
} from '../../src/proxy-status/status.js';
import { renderResponses } from '../../src/proxy-status/output.js';

const ROOT = join(import.meta.dirname, '../../../shared/conformance/istioctl-proxy');
const cases: any[] = JSON.parse(readFileSync(join(ROOT, 'cases.json'), 'utf8')).cases;
const read = (rel: string) => readFileSync(join(ROOT, rel), 'utf8');

function answers(input: string): ReplicaAnswer[] {
  const byIstiod = JSON.parse(read(input)) as Record<string, Record<string, unknown>>;
  return Object.entries(byIstiod).map(([replica, response]) => ({ replica, response }));
}

const byName = (name: string) => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no case ${name}`);
  return c;
};

describe('istioctl proxy-status conformance (rendering syncz)', () => {
  const tables: Array<[string, Layout]> = [
    ['proxy-status/table-multi-istiod', 'current'],
    ['proxy-status/table-single-istiod', 'current'],
    ['proxy-status/table-verbose', 'verbose'],
    ['proxy-status/legacy-1.26-table-multi-istiod', 'classic'],
    ['proxy-status/legacy-1.26-table-single-istiod', 'classic'],
  ];
  for (const [name, layout] of tables) {
    it(name, () => {
      const c = byName(name);
      const out = renderStatusTable(rowsOf(answers(c.input)), layout, Date.now());
      expect(out.trim()).toBe(read(c.expected).trim());
    });
  }

  it('proxy-status/json', () => {
    const c = byName('proxy-status/json');
    const out = renderResponses(responsesForOutput(answers(c.input)), 'json');
    expect(JSON.parse(out)).toEqual(JSON.parse(read(c.expected)));
  });

  it('proxy-status/yaml', () => {
    const c = byName('proxy-status/yaml');
    const out = renderResponses(responsesForOutput(answers(c.input)), 'yaml');
    expect(out.trim()).toBe(read(c.expected).trim());
  });

  it('proxy-status/yaml-namespace', () => {
    const c = byName('proxy-status/yaml-namespace');
    const out = renderResponses(responsesForOutput(answers(c.input), 'foo'), 'yaml');
    expect(parseYaml(out)).toEqual(parseYaml(read(c.expected)));
    expect(out.trim()).toBe(read(c.expected).trim());
  });

  it('proxy-status/cli/json-empty and no-proxies: an empty answer', () => {
    const empty = [{ replica: 'istiod-1', response: {} }];
    expect(renderResponses(responsesForOutput(empty), 'json')).toBe(
      byName('proxy-status/cli/json-empty').expected_inline,
    );
    expect(renderStatusTable(rowsOf(empty), 'current', Date.now())).toBe(
      byName('proxy-status/cli/no-proxies').expected_inline,
    );
  });
});
