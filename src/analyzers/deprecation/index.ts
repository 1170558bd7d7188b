import type { Analyzer } from '../types.js';
import deprecation from './deprecation.js';

export const analyzers: Analyzer[] = [deprecation];
