import type { Analyzer } from '../types.js';
import conditions from './conditions.js';

export const analyzers: Analyzer[] = [conditions];
