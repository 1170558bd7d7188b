import type { SemanticValidator } from './types.js';

/** Kind → semantic validator. Each kind's rules live in their own module in this folder. */
export const SEMANTIC_VALIDATORS: Record<string, SemanticValidator> = {};
