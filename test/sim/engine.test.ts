import { describe, expect, it } from 'vitest';
import { Engine, SimulationLimitError } from '../../sim/engine.js';
import { createEngine, ENGINE_KINDS } from '../../sim/engines.js';
import { FastEngine } from '../../sim/fast-engine.js';
import { NodeClock } from '../../sim/node-clock.js';

/** An event at `t` that resolves the returned promise (like a store reply). */
function replyAt(engine: Engine, t: number, node = -1): Promise<void> {
  return new Promise<void>((resolve) => engine.at(t, resolve, { gate: node, flush: true }));
}

describe.each(ENGINE_KINDS)('engine %s: exact promise flushing', (kind) => {
  // The fast engine settles the first flush of each run with a setImmediate turn (as the reference
  // engine settles every flush); an empty flush event at time 0 makes the flushes under test take
  // its fast path.
  const newEngine = (maxEvents: number): Engine => {
    const engine = createEngine(kind, { maxEvents });
    engine.at(0, () => {}, { flush: true });
    return engine;
  };

  it('settles deeply nested awaits released by an event before the next event runs', async () => {
    const engine = newEngine(1000);
    const log: string[] = [];
    async function nest(depth: number): Promise<number> {
      if (depth === 0) {
        await replyAt(engine, 1);
        return 0;
      }
      const v = await nest(depth - 1);
      await Promise.resolve();
      return v + 1;
    }
    void nest(200).then((v) => log.push(`nested done ${v} at ${engine.now}`));
    engine.at(1, () => log.push(`next event at ${engine.now}`)); // same time, later seq
    await engine.run(10);
    expect(log).toEqual(['nested done 200 at 1', 'next event at 1']);
  });

  it('settles a Promise.race against a timeout, and what follows it, before the next event', async () => {
    const engine = newEngine(1000);
    engine.addNode();
    const clock = new NodeClock(engine, 0, { offsetMs: 0, driftPpm: 0, jumps: [] }, () => 0);
    const log: string[] = [];
    const work = async (): Promise<void> => {
      const winner = await Promise.race([replyAt(engine, 2, 0).then(() => 'reply'), clock.sleep(5).then(() => 'timeout')]);
      for (let i = 0; i < 50; i++) await Promise.resolve();
      log.push(`${winner} at ${engine.now}`);
      const again = await Promise.race([replyAt(engine, 20, 0).then(() => 'reply'), clock.sleep(5).then(() => 'timeout')]);
      log.push(`${again} at ${engine.now}`);
    };
    void work();
    engine.at(2, () => log.push('event after reply'));
    engine.at(7.000001, () => log.push('event after timeout'));
    await engine.run(100);
    expect(log).toEqual(['reply at 2', 'event after reply', 'timeout at 7', 'event after timeout']);
  });

  it('runs process.nextTick callbacks (and the promises they resolve) before the next event', async () => {
    const engine = newEngine(1000);
    const log: string[] = [];
    void replyAt(engine, 1).then(() => {
      process.nextTick(() => {
        void Promise.resolve().then(() => process.nextTick(() => log.push('tick in tick')));
        log.push('tick');
      });
    });
    engine.at(1, () => log.push('next event'));
    await engine.run(10);
    expect(log).toEqual(['tick', 'tick in tick', 'next event']);
  });

  it('settles ticks and microtasks that queue each other, and queueMicrotask chains, before the next event', async () => {
    const engine = newEngine(1000);
    const log: string[] = [];
    const pingPong = (n: number): void => {
      if (n === 0) return void log.push('ping-pong done');
      if (n % 2 === 0) process.nextTick(() => pingPong(n - 1));
      else if (n % 3 === 0) queueMicrotask(() => pingPong(n - 1));
      else void Promise.resolve().then(() => pingPong(n - 1));
    };
    void replyAt(engine, 1).then(() => pingPong(100));
    engine.at(1, () => log.push('next event'));
    void replyAt(engine, 2).then(() => process.nextTick(() => log.push('late tick')));
    engine.at(2, () => log.push('last event'));
    await engine.run(10);
    expect(log).toEqual(['ping-pong done', 'next event', 'late tick', 'last event']);
  });

  it('settles a promise chain started by a tick that the event itself queued, before the next event', async () => {
    const engine = newEngine(1000);
    const log: string[] = [];
    const chain = async (): Promise<void> => {
      for (let i = 0; i < 10; i++) await Promise.resolve();
      log.push('chain done');
    };
    engine.at(1, () => process.nextTick(() => void chain()), { flush: true });
    engine.at(1, () => log.push('next event'));
    await engine.run(10);
    expect(log).toEqual(['chain done', 'next event']);
  });

  it('orders events by time, then by scheduling order', async () => {
    const engine = newEngine(1000);
    const log: number[] = [];
    engine.at(5, () => log.push(3));
    engine.at(1, () => log.push(1));
    engine.at(5, () => log.push(4));
    engine.at(2, () => log.push(2));
    await engine.run(10);
    expect(log).toEqual([1, 2, 3, 4]);
    expect(engine.now).toBe(10);
  });

  it('fails loudly when a run exceeds maxEvents instead of hanging', async () => {
    const engine = newEngine(500);
    const spin = (): void => void engine.at(engine.now, spin);
    engine.at(0, spin);
    await expect(engine.run(10)).rejects.toBeInstanceOf(SimulationLimitError);
  });

  it('holds a paused node’s events until it resumes, in their original order, and drops a crashed incarnation’s', async () => {
    const engine = newEngine(1000);
    const n = engine.addNode();
    const log: string[] = [];
    engine.at(1, () => (engine.nodes[n]!.pausedUntil = 10));
    engine.at(3, () => log.push(`a at ${engine.now}`), { gate: n });
    engine.at(2, () => log.push(`b at ${engine.now}`), { gate: n });
    engine.at(12, () => log.push(`c at ${engine.now}`), { gate: n });
    engine.at(15, () => {
      engine.nodes[n]!.alive = false;
      engine.nodes[n]!.incarnation++;
    });
    engine.at(16, () => log.push('never'), { gate: n });
    await engine.run(20);
    expect(log).toEqual(['b at 10', 'a at 10', 'c at 12']);
  });

  it('hashes the delivered event sequence: same schedule, same hash; different schedule, different hash', async () => {
    const run = async (t: number): Promise<string> => {
      const e = newEngine(100);
      e.at(1, () => {});
      e.at(t, () => {});
      await e.run(10);
      return e.traceHash;
    };
    expect(await run(2)).toBe(await run(2));
    expect(await run(2)).not.toBe(await run(3));
  });
});

describe.each(ENGINE_KINDS)('node clock (engine %s)', (kind) => {
  it('applies offset and drift to the wall clock, drift to timers, and jumps to the wall clock only', async () => {
    const engine = createEngine(kind, { maxEvents: 1000 });
    engine.addNode();
    const clock = new NodeClock(engine, 0, { offsetMs: 7, driftPpm: 1000, jumps: [{ at: 500, by: -30 }] }, () => 0);
    const wall0 = clock.now();
    let firedAt = -1;
    let wallAt500 = 0;
    let monoAt1000 = 0;
    void clock.sleep(1001).then(() => (firedAt = engine.now));
    engine.at(500, () => (wallAt500 = clock.now()));
    engine.at(1000, () => (monoAt1000 = clock.monotonicNow()));
    await engine.run(2000);
    expect(wall0).toBe(1_700_000_000_000 + 7);
    expect(wallAt500 - wall0).toBeCloseTo(500 * 1.001 - 30, 9);
    expect(monoAt1000).toBeCloseTo(1001, 9);
    expect(firedAt).toBeCloseTo(1000, 9); // 1001 ms of a clock running 0.1% fast
  });

  it('fires timers late by the drawn lateness, and a cancelled sleep rejects and leaves no event', async () => {
    const engine = createEngine(kind, { maxEvents: 1000 });
    engine.addNode();
    const clock = new NodeClock(engine, 0, { offsetMs: 0, driftPpm: 0, jumps: [] }, () => 3);
    let firedAt = -1;
    void clock.sleep(10).then(() => (firedAt = engine.now));
    const ac = new AbortController();
    const cancelled = clock.sleep(5, ac.signal);
    engine.at(1, () => ac.abort(new Error('stop')));
    await expect(Promise.all([engine.run(100), cancelled])).rejects.toThrow('stop');
    await engine.run(100);
    expect(firedAt).toBe(13);
    expect(engine.delivered).toBe(2); // the abort event and the 10 ms timer; the cancelled one never ran
  });

  it('sleeps on one signal over and over: aborting it rejects every pending sleep on it with its reason, in order, and leaves no event', async () => {
    const engine = createEngine(kind, { maxEvents: 1000 });
    engine.addNode();
    const clock = new NodeClock(engine, 0, { offsetMs: 0, driftPpm: 0, jumps: [] }, () => 3);
    const c = new AbortController();
    let firedAt = -1;
    void clock.sleep(10, c.signal).then(() => (firedAt = engine.now));
    await engine.run(100);
    expect(firedAt).toBe(13);
    const order: string[] = [];
    const sleeps = [5, 50].map((ms) => clock.sleep(ms, c.signal).catch((e: unknown) => order.push(`${ms}: ${(e as Error).message}`)));
    c.signal.addEventListener('abort', () => order.push('later listener'));
    engine.at(engine.now + 1, () => c.abort(new Error('released')));
    await engine.run(1000);
    await Promise.all(sleeps);
    expect(order).toEqual(['later listener', '5: released', '50: released']); // rejections settle after the abort's listeners ran
    expect(engine.delivered).toBe(2); // the 10 ms timer and the abort event
    await expect(clock.sleep(1, c.signal)).rejects.toThrow('released');
  });
});

describe('fast engine', () => {
  it('relies on Node running a tick queued inside a microtask only once the microtask queue is empty', async () => {
    const log: string[] = [];
    await new Promise<void>((done) => {
      void Promise.resolve().then(() => {
        process.nextTick(() => {
          log.push('tick');
          done();
        });
        let chain = Promise.resolve();
        for (let i = 0; i < 100; i++) chain = chain.then(() => void log.push(`job ${i}`));
        queueMicrotask(() => void Promise.resolve().then(() => log.push('nested job')));
      });
    });
    expect(log.at(-1)).toBe('tick');
    expect(log).toHaveLength(102);
  });

  it('waits for a setImmediate queued by a continuation before the next event (a turn, as the reference engine)', async () => {
    const engine = new FastEngine({ maxEvents: 1000 });
    const log: string[] = [];
    void replyAt(engine, 1).then(() => setImmediate(() => log.push('immediate')));
    engine.at(1, () => log.push('next event'));
    await engine.run(10);
    expect(log).toEqual(['immediate', 'next event']);
  });

  it('settles flushes without event-loop turns when only promises are involved', async () => {
    const engine = new FastEngine({ maxEvents: 10_000 });
    let resolved = 0;
    for (let t = 1; t <= 1000; t++) void replyAt(engine, t).then(async () => {
      await Promise.resolve();
      resolved++;
    });
    await engine.run(2000);
    expect(resolved).toBe(1000);
    expect(engine.flushStats.flushes).toBe(1000);
    expect(engine.flushStats.turns).toBe(1); // the first flush of a run is always a turn
  });
});
