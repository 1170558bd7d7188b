import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import type { SemanticIssue } from '../../../src/analyzers/schema/rules/types.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

const FIXTURES = join(import.meta.dirname, '../../fixtures/schema-rules/sec');

function parse(text: string, file: string): Resource[] {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, resources, problems);
  expect(problems).toEqual([]);
  return resources;
}

/** The resources of a fixture file under test/fixtures/schema-rules/sec/. */
export function fixture(name: string): Resource[] {
  return parse(readFileSync(join(FIXTURES, name), 'utf8'), name);
}

/** Runs the registered semantic validator of each resource's kind. */
export function issuesOf(resource: Resource): SemanticIssue[] {
  const validate = SEMANTIC_VALIDATORS[resource.kind];
  expect(validate, `no semantic validator registered for ${resource.kind}`).toBeDefined();
  return validate!(resource);
}

/** Validates one manifest given as YAML text: `spec` is indented under a generated header. */
export function check(kind: string, apiVersion: string, specYaml: string): SemanticIssue[] {
  const text = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: test\n  namespace: default\n${specYaml}`;
  const [resource] = parse(text, 'inline.yaml');
  return issuesOf(resource!);
}

/** The single issue at `path` (fails when there is not exactly one). */
export function at(issues: SemanticIssue[], path: string): SemanticIssue {
  const found = issues.filter((i) => i.path === path);
  expect(found, `issues at ${path} among ${JSON.stringify(issues, null, 1)}`).toHaveLength(1);
  return found[0]!;
}
