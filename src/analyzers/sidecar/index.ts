import type { Analyzer } from '../types.js';
import selector from './selector.js';

export const analyzers: Analyzer[] = [selector];
