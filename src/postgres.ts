/**
 * `mostly-correct-owner/postgres`: the PostgreSQL store. A separate entry
 * point so that `pg` (an optional peer dependency) is loaded only by those
 * who import it.
 */
export {
  PostgresStore,
  DEFAULT_POSTGRES_POOL_OPTIONS,
  LAKEFS_KV_PARTITIONS,
  advisoryLockId,
  quoteIdentifier,
  releaseChannel,
} from './store/postgres.js';
export type { PostgresPool, PostgresStoreOptions } from './store/postgres.js';
export { StoreError } from './errors.js';
