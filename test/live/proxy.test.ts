import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelayProxy } from '../../sim/live/proxy.js';

let echo: Server;
let port = 0;

beforeAll(async () => {
  echo = createServer((s) => s.pipe(s));
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const a = echo.address();
  port = typeof a === 'object' && a !== null ? a.port : 0;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

describe('DelayProxy', () => {
  it('delays each direction by its draw, keeps order, and records what it added', async () => {
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port }, () => 20, () => 30);
    try {
      const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
      await new Promise<void>((r) => socket.once('connect', () => r()));
      socket.setNoDelay(true);
      let got = '';
      const t0 = performance.now();
      const done = new Promise<number>((resolve) =>
        socket.on('data', (d: Buffer) => {
          got += d.toString();
          if (got.length >= 3) resolve(performance.now() - t0);
        }),
      );
      socket.write('a');
      socket.write('b');
      socket.write('c');
      const rtt = await done;
      socket.destroy();
      expect(got).toBe('abc');
      // 20 + 30 ms asked; timers may fire up to ~1 ms early (libuv's cached loop time)
      expect(rtt).toBeGreaterThanOrEqual(48);
      expect(rtt).toBeLessThan(250);
      expect(proxy.asked.length).toBe(proxy.added.length);
      expect(Math.min(...proxy.added)).toBeGreaterThan(18);
    } finally {
      await proxy.close();
    }
  });
});
