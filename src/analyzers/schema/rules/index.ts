import type { SemanticValidator } from './types.js';
import { validateVirtualService } from './virtualservice.js';

/** Kind → semantic validator. Each kind's rules live in their own module in this folder. */
export const SEMANTIC_VALIDATORS: Record<string, SemanticValidator> = {
  VirtualService: validateVirtualService,
};
