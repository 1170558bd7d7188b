/** Shared helpers of the semantic-rule tests (net-*: networking kinds, sec-*: security and the rest). */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { expect } from 'vitest';
import { SEMANTIC_VALIDATORS } from '../../../src/analyzers/schema/rules/index.js';
import type { SemanticIssue } from '../../../src/analyzers/schema/rules/types.js';
import { parseManifestText } from '../../../src/manifests/load.js';
import type { LoadProblem, Resource } from '../../../src/manifests/types.js';

function parse(text: string, file: string): Resource[] {
  const resources: Resource[] = [];
  const problems: LoadProblem[] = [];
  parseManifestText(text, file, resources, problems);
  expect(problems).toEqual([]);
  return resources;
}

/** The resources of a fixture file under test/fixtures/schema-rules/<dir>/. */
export function fixtureIn(dir: 'net' | 'sec', name: string): Resource[] {
  return parse(
    readFileSync(join(import.meta.dirname, '../../fixtures/schema-rules', dir, name), 'utf8'),
    name,
  );
}

/** Runs the registered semantic validator of the resource's kind. */
export function issuesOf(resource: Resource): SemanticIssue[] {
  const validate = SEMANTIC_VALIDATORS[resource.kind];
  expect(validate, `no semantic validator registered for ${resource.kind}`).toBeDefined();
  return validate!(resource);
}

/**
 * Returns a checker for one kind: give it the YAML under `spec:` (indented by two spaces) and it validates
 * `<kind> default/test` with that spec.
 */
export function checker(kind: string, apiVersion = 'networking.istio.io/v1') {
  return (spec: string, name = 'test'): SemanticIssue[] => {
    const text = `apiVersion: ${apiVersion}\nkind: ${kind}\nmetadata:\n  name: ${name}\n  namespace: default\nspec:\n${spec}`;
    const [resource] = parse(text, 'inline.yaml');
    return issuesOf(resource!);
  };
}

/** Validates one manifest given as YAML text: `specYaml` (with its `spec:` line) follows a generated header. */
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

/** Paths of all issues, sorted. */
export function paths(issues: SemanticIssue[]): string[] {
  return issues.map((i) => i.path ?? '').sort();
}
