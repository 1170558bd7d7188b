import type { Analyzer } from '../types.js';
import defaultSelector from './default-selector.js';
import lightstep from './lightstep.js';
import provider from './provider.js';
import selector from './selector.js';

export const analyzers: Analyzer[] = [defaultSelector, lightstep, provider, selector];
