import type { Resource } from '../../../src/manifests/types.js';
import { fixtureIn } from './helpers.js';

export { at, check, issuesOf } from './helpers.js';

/** The resources of a fixture file under test/fixtures/schema-rules/sec/. */
export const fixture = (name: string): Resource[] => fixtureIn('sec', name);
