/**
 * How weighted estimates are printed: `mco run --importance` and `mco tune`'s
 * recommendation share one formatter, so a zero rate reads `0`, not `0.00e+0`.
 */
import { describe, expect, it } from 'vitest';
import { sci, sciInterval } from '../../sim/report/importance-text.js';

describe('importance text', () => {
  it('prints rates in scientific notation with 3 significant digits, zero as 0', () => {
    expect(sci(0)).toBe('0');
    expect(sci(1.2345e-9)).toBe('1.23e-9');
    expect(sci(Number.POSITIVE_INFINITY)).toBe('Infinity');
  });

  it('prints an estimate with its interval', () => {
    expect(sciInterval({ value: 0, low: 0, high: 3.456e-7, relHalfWidth: Number.NaN })).toBe('0 [0, 3.46e-7]');
    expect(sciInterval({ value: 1.6e-9, low: 1.2e-9, high: 2e-9, relHalfWidth: 0.25 })).toBe('1.60e-9 [1.20e-9, 2.00e-9]');
  });
});
