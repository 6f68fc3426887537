import { createConnection, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DelayProxy, fateOf, type RequestFate } from '../../sim/live/proxy.js';

let echo: Server;
let port = 0;

/** What the echo server received, all connections together: shows whether a request reached the server. */
let received = '';

beforeAll(async () => {
  echo = createServer((s) => {
    s.on('data', (d: Buffer) => (received += d.toString()));
    s.pipe(s);
  });
  await new Promise<void>((r) => echo.listen(0, '127.0.0.1', () => r()));
  const a = echo.address();
  port = typeof a === 'object' && a !== null ? a.port : 0;
});
afterAll(() => new Promise<void>((r) => echo.close(() => r())));

describe('DelayProxy', () => {
  it('delays each direction by its draw, keeps order, and records what it added', async () => {
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port }, { requestDelayMs: () => 20, responseDelayMs: () => 30 });
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

/** Sends `text` through a fresh connection to `proxy`; resolves with what came back before the connection closed. */
async function roundTrip(proxy: DelayProxy, text: string): Promise<{ reply: string; closed: boolean }> {
  const socket = createConnection({ host: '127.0.0.1', port: proxy.port });
  await new Promise<void>((r) => socket.once('connect', () => r()));
  let reply = '';
  socket.on('data', (d: Buffer) => (reply += d.toString()));
  socket.on('error', () => {});
  const closed = new Promise<boolean>((r) => socket.once('close', () => r(true)));
  socket.write(text);
  // whichever comes first: the echo, or the cut (no sleep on the real clock)
  const outcome = await Promise.race([closed, new Promise<boolean>((r) => socket.once('data', () => r(false)))]);
  socket.destroy();
  return { reply, closed: outcome };
}

describe('DelayProxy cuts', () => {
  const fates = (...list: RequestFate[]): (() => RequestFate) => () => list.shift() ?? 'pass';

  it('error before apply: the connection is cut and the request never reaches the server', async () => {
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port }, { requestFate: fates('error-before-apply') });
    try {
      received = '';
      const r = await roundTrip(proxy, 'req-1');
      expect(r).toEqual({ reply: '', closed: true });
      expect(received).not.toContain('req-1');
      expect(proxy.cuts).toEqual({ requests: 1, errorBeforeApply: 1, lostReply: 0 });
      // the next connection is not affected
      expect(await roundTrip(proxy, 'req-2')).toEqual({ reply: 'req-2', closed: false });
    } finally {
      await proxy.close();
    }
  });

  it('lost reply: the request reaches the server, its reply is cut', async () => {
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port }, { requestFate: fates('lost-reply') });
    try {
      received = '';
      const r = await roundTrip(proxy, 'req-3');
      expect(r).toEqual({ reply: '', closed: true });
      expect(received).toContain('req-3');
      expect(proxy.cuts).toEqual({ requests: 1, errorBeforeApply: 0, lostReply: 1 });
    } finally {
      await proxy.close();
    }
  });

  it('cuts after the request delay, not before', async () => {
    const proxy = await DelayProxy.start({ host: '127.0.0.1', port }, { requestDelayMs: () => 40, requestFate: fates('error-before-apply') });
    try {
      const t0 = performance.now();
      expect((await roundTrip(proxy, 'req-4')).closed).toBe(true);
      expect(performance.now() - t0).toBeGreaterThanOrEqual(38); // timers may fire ~1 ms early
    } finally {
      await proxy.close();
    }
  });
});

describe('fateOf', () => {
  it('draws twice per request whatever the rates, error before apply first', () => {
    let draws = 0;
    const seq = [0.05, 0.05, 0.5, 0.05, 0.5, 0.5];
    const fate = fateOf(0.1, 0.1, () => (draws++, seq.shift()!));
    expect([fate(), fate(), fate()]).toEqual(['error-before-apply', 'lost-reply', 'pass']);
    expect(draws).toBe(6);
  });

  it('matches the rates over many draws', () => {
    let x = 0x9e3779b9;
    const next = (): number => ((x = (Math.imul(x, 1664525) + 1013904223) >>> 0) / 2 ** 32);
    const fate = fateOf(0.1, 0.2, next);
    const n = 20_000;
    const counts = { pass: 0, 'error-before-apply': 0, 'lost-reply': 0 };
    for (let i = 0; i < n; i++) counts[fate()]++;
    expect(counts['error-before-apply'] / n).toBeCloseTo(0.1, 1);
    // a lost reply needs a request that did not fail first: 0.9 × 0.2
    expect(counts['lost-reply'] / n).toBeCloseTo(0.18, 1);
  });

  it.each([
    [-0.1, 0],
    [0, 1.5],
    [Number.NaN, 0],
  ])('refuses rates outside [0, 1] (%s, %s)', (e, l) => {
    expect(() => fateOf(e, l, Math.random)).toThrow(RangeError);
  });
});
