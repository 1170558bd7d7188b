import type { Analyzer } from '../types.js';
import crdVersion from './crd-version.js';
import selector from './selector.js';

export const analyzers: Analyzer[] = [crdVersion, selector];
