/**
 * ioredis-mock behind the narrow client type RedisStore uses, made binary-safe.
 *
 * ioredis-mock is not binary-safe: it keys its map by the key's UTF-8 decoding
 * (so 0xfe and 0xff collide as U+FFFD) and hands Buffer arguments to its Lua VM
 * as userdata, not strings (so a script never sees them equal to a stored
 * value). This bridge maps every byte to one latin1 character on the way in
 * and back on the way out, which is lossless, so the mock runs RedisStore's
 * own commands and its Lua script unchanged. Byte transport itself is tested
 * on a real redis-server (redis.test.ts).
 */
import RedisMock from 'ioredis-mock';
import type { RedisClient } from '../../src/redis.js';

type Arg = Buffer | string | number;
const toMock = (a: Arg): string | number => (Buffer.isBuffer(a) ? a.toString('latin1') : a);
const fromMock = (r: unknown): unknown => (typeof r === 'string' ? Buffer.from(r, 'latin1') : Array.isArray(r) ? r.map(fromMock) : r);

export interface Latin1Bridge {
  client: RedisClient;
  mock: InstanceType<typeof RedisMock>;
  calls: string[];
}

export function latin1RedisMock(mock = new RedisMock()): Latin1Bridge {
  const calls: string[] = [];
  const bridge = {
    async getBuffer(key: Buffer) {
      calls.push('get');
      const v = await mock.get(toMock(key) as string);
      return v === null ? null : Buffer.from(v, 'latin1');
    },
    async set(key: Buffer, value: Buffer) {
      calls.push('set');
      return mock.set(toMock(key) as string, toMock(value));
    },
    async del(key: Buffer) {
      calls.push('del');
      return mock.del(toMock(key) as string);
    },
    // the Buffer-reply script commands (swap and setIf): string replies mapped back to bytes
    async evalshaBuffer(sha: string, numKeys: number, ...args: Arg[]) {
      calls.push('evalsha');
      return fromMock(await mock.evalsha(sha, numKeys, ...args.map(toMock)));
    },
    async evalBuffer(script: string, numKeys: number, ...args: Arg[]) {
      calls.push('eval');
      return fromMock(await mock.eval(script, numKeys, ...args.map(toMock)));
    },
  };
  return { client: bridge as unknown as RedisClient, mock, calls };
}
