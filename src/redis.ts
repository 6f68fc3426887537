/**
 * `mostly-correct-owner/redis`: the Redis store. A separate entry point so
 * that `ioredis` (an optional peer dependency) is loaded only by those who
 * import it.
 */
export { RedisStore, DEFAULT_REDIS_CLIENT_OPTIONS, RELEASE_CHANNEL_PREFIX, SWAP_SCRIPT, SWAP_SCRIPT_SHA1 } from './store/redis.js';
export type { BufferScripts, RedisClient, RedisStoreOptions } from './store/redis.js';
export { StoreError } from './errors.js';
