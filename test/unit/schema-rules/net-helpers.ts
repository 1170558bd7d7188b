import type { Resource } from '../../../src/manifests/types.js';
import { fixtureIn } from './helpers.js';

export { at, checker, issuesOf, paths } from './helpers.js';

/** The resources of a fixture file under test/fixtures/schema-rules/net/. */
export const fixture = (name: string): Resource[] => fixtureIn('net', name);
