/**
 * Setup file of the mutation config (test/mutation/vitest.config.ts): every
 * fast-check property in the set runs with the seed FC_SEED (1 there), not
 * only those written with test/helpers/property.ts, so that a mutant's
 * verdict does not depend on a draw.
 */
import fc from 'fast-check';

const seed = Number(process.env.FC_SEED ?? '1');
if (!Number.isInteger(seed)) throw new Error(`FC_SEED must be an integer, got ${JSON.stringify(process.env.FC_SEED)}`);
fc.configureGlobal({ ...fc.readConfigureGlobal(), seed });
