import type { Analyzer } from '../types.js';
import caCertificates from './ca-certificates.js';
import subsetSelectPods from './subset-select-pods.js';

export const analyzers: Analyzer[] = [caCertificates, subsetSelectPods];
