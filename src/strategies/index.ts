/**
 * The bundled strategies, by name.
 */
import { fixedStrategy } from './fixed.js';
import { lakefsStrategy } from './lakefs.js';
import { observedStrategy } from './observed.js';
import type { Strategy } from './strategy.js';

/** Every bundled strategy by its name. `fixed` is the default. */
export const STRATEGIES: Readonly<Record<'lakefs' | 'fixed' | 'observed', Strategy>> = Object.freeze({
  lakefs: lakefsStrategy,
  fixed: fixedStrategy,
  observed: observedStrategy,
});

/** A strategy's name. */
export type StrategyName = keyof typeof STRATEGIES;
