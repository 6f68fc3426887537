/**
 * The strategies' rules as plain functions, pinned value by value: the
 * retry delays (lakeFS's "sleep until the expiry", fixed's capped poll), the
 * jitter, the two expiry rules at their boundaries, and the checks that
 * refuse a strategy the loops cannot honour. Written for the mutation run
 * (docs/mutation.md); no owner, no store, no time.
 */
import { describe, expect, it } from 'vitest';
import { MemoryStore, MostlyCorrectOwner, STRATEGIES, StrategyError, defineStrategy, fixedStrategy, lakefsStrategy, observedStrategy, type AcquireRetryInput, type Clock, type RandomSource, type SeenRecord, type Strategy } from '../../src/index.js';
import { jitteredInterval, observedExpiry, pollDelayMs, randomFloat, sleepUntilExpiryMs, wallClockExpiry } from '../../src/internal.js';

/** A random source whose every byte is `byte`. */
const constantBytes = (byte: number): RandomSource => ({ bytes: (n) => new Uint8Array(n).fill(byte) });
/** randomFloat of this source is 0. */
const zero = constantBytes(0);

const retryInput = (over: Partial<AcquireRetryInput>): AcquireRetryInput => ({
  outcome: 'held',
  nowMs: 1_000,
  readExpiresMs: undefined,
  candidateExpiresMs: undefined,
  attempt: 1,
  acquireIntervalMs: 30,
  refreshIntervalMs: 400,
  random: zero,
  ...over,
});

/** A clock whose monotonic time is `mono.now` (wall clock and sleep unused). */
const monoClock = (mono: { now: number }): Clock => ({
  now: () => {
    throw new Error('the wall clock is not read here');
  },
  monotonicNow: () => mono.now,
  sleep: () => Promise.reject(new Error('no sleep here')),
});

const seenRecord = (expiresMs: number, bytes = [1, 2, 3], leaseMs = 0): SeenRecord => ({ value: new Uint8Array(bytes), expiresMs, leaseMs });

describe('randomFloat: 53 random bits in [0, 1)', () => {
  it('is 0 for zero bytes, and just below 1 for all-ones bytes', () => {
    expect(randomFloat(zero)).toBe(0);
    expect(randomFloat(constantBytes(0xff))).toBe((2 ** 53 - 1) / 2 ** 53);
  });

  it('takes 5 bits of the first byte and the 6 following bytes in order', () => {
    // only bit 5 of byte 0 set: masked away
    expect(randomFloat({ bytes: () => new Uint8Array([0x20, 0, 0, 0, 0, 0, 0]) })).toBe(0);
    // the lowest bit of the last byte is the least significant of the 53
    expect(randomFloat({ bytes: () => new Uint8Array([0, 0, 0, 0, 0, 0, 1]) })).toBe(1 / 2 ** 53);
    expect(randomFloat({ bytes: () => new Uint8Array([0x10, 0, 0, 0, 0, 0, 0]) })).toBe(0.5);
    expect(randomFloat({ bytes: () => new Uint8Array([0, 1, 0, 0, 0, 0, 0]) })).toBe(2 ** 40 / 2 ** 53);
  });

  it('draws exactly 7 bytes', () => {
    const sizes: number[] = [];
    randomFloat({ bytes: (n) => (sizes.push(n), new Uint8Array(n)) });
    expect(sizes).toEqual([7]);
  });
});

describe("jitteredInterval: Go's getJitter", () => {
  it('shortens the interval by u thirds of it', () => {
    expect(jitteredInterval(30, 0)).toBe(30);
    expect(jitteredInterval(30, 0.5)).toBe(25);
    expect(jitteredInterval(30, 0.999)).toBeCloseTo(20.01, 10);
  });

  it('is 0 for a negative interval, and the interval itself at 0', () => {
    expect(jitteredInterval(-5, 0.5)).toBe(0);
    expect(jitteredInterval(0, 0.5)).toBe(0);
  });
});

describe('lakefs: sleepUntilExpiryMs', () => {
  it('a held key: sleeps until the expiry that was read', () => {
    expect(sleepUntilExpiryMs(retryInput({ outcome: 'held', readExpiresMs: 1_250, candidateExpiresMs: 9_999 }))).toBe(250);
  });

  it('a lost write race: sleeps until the expiry of the candidate it tried to write', () => {
    expect(sleepUntilExpiryMs(retryInput({ outcome: 'lost-race', readExpiresMs: 1_250, candidateExpiresMs: 1_400 }))).toBe(400);
  });

  it('an expiry exactly now sleeps 0, not the jittered interval', () => {
    expect(sleepUntilExpiryMs(retryInput({ readExpiresMs: 1_000, random: constantBytes(0xff) }))).toBe(0);
  });

  it('only a negative sleep takes the jittered acquireInterval (absent record: expiry 0)', () => {
    expect(sleepUntilExpiryMs(retryInput({ readExpiresMs: 999, acquireIntervalMs: 30 }))).toBe(30);
    expect(sleepUntilExpiryMs(retryInput({ readExpiresMs: undefined, acquireIntervalMs: 30, random: constantBytes(0xff) }))).toBeCloseTo(20, 6);
  });
});

describe('fixed: pollDelayMs', () => {
  it('a held key: at most acquireInterval, less when the record expires sooner', () => {
    expect(pollDelayMs(retryInput({ readExpiresMs: 1_000 + 400 }))).toBe(30);
    expect(pollDelayMs(retryInput({ readExpiresMs: 1_000 + 12 }))).toBe(12);
    expect(pollDelayMs(retryInput({ readExpiresMs: 1_000 + 30 }))).toBe(30);
  });

  it('an expired or absent record: retry at once (0)', () => {
    expect(pollDelayMs(retryInput({ readExpiresMs: 500 }))).toBe(0);
    expect(pollDelayMs(retryInput({ readExpiresMs: undefined }))).toBe(0);
  });

  it('a lost write race: the whole (jittered) acquireInterval, whatever was read', () => {
    expect(pollDelayMs(retryInput({ outcome: 'lost-race', readExpiresMs: 1_005, candidateExpiresMs: 1_400 }))).toBe(30);
    expect(pollDelayMs(retryInput({ outcome: 'lost-race', readExpiresMs: undefined }))).toBe(30);
  });

  it('is jittered down by up to a third', () => {
    const u = randomFloat(constantBytes(0x80));
    expect(pollDelayMs(retryInput({ readExpiresMs: 5_000, random: constantBytes(0x80) }))).toBe(30 - u * 10);
  });
});

describe('wall-clock expiry (lakefs, fixed)', () => {
  const judge = wallClockExpiry.judge(400);

  it('is named wall-clock', () => {
    expect(wallClockExpiry.name).toBe('wall-clock');
    expect(observedExpiry.name).toBe('observed');
  });

  it('absent: not owned; expires before now: expired; expires at now or later: owned', () => {
    const clock = monoClock({ now: 0 });
    expect(judge.judge(undefined, 1_000, clock)).toEqual({ state: 'not owned', nowMs: 1_000, expiresMs: undefined });
    expect(judge.judge(seenRecord(999), 1_000, clock)).toEqual({ state: 'expired', nowMs: 1_000, expiresMs: 999 });
    expect(judge.judge(seenRecord(1_000), 1_000, clock)).toEqual({ state: 'owned', nowMs: 1_000, expiresMs: 1_000 });
    expect(judge.judge(seenRecord(1_001), 1_000, clock)).toEqual({ state: 'owned', nowMs: 1_000, expiresMs: 1_001 });
  });

  it('takes an unread guess by the same rule: strictly before now', () => {
    expect(judge.takesUnread(seenRecord(999), 1_000)).toBe(true);
    expect(judge.takesUnread(seenRecord(1_000), 1_000)).toBe(false);
    expect(judge.takesUnread(seenRecord(0), 1_000)).toBe(true);
  });

  it('judges on the wall clock', () => {
    expect(judge.nowOn(1_234, monoClock({ now: 7 }))).toBe(1_234);
  });
});

describe('observed expiry', () => {
  it('takes an unread guess only when it is released (expires at the epoch)', () => {
    const judge = observedExpiry.judge(400);
    expect(judge.takesUnread(seenRecord(0), 1_000)).toBe(true);
    expect(judge.takesUnread(seenRecord(1), 1_000)).toBe(false);
    expect(judge.takesUnread(seenRecord(500), 1_000)).toBe(false);
  });

  it('absent: not owned on the wall clock; released: expired at once', () => {
    const judge = observedExpiry.judge(400);
    const clock = monoClock({ now: 50 });
    expect(judge.judge(undefined, 1_000, clock)).toEqual({ state: 'not owned', nowMs: 1_000, expiresMs: undefined });
    expect(judge.judge(seenRecord(0), 1_000, clock)).toEqual({ state: 'expired', nowMs: 1_000, expiresMs: 0 });
  });

  it('expires a record seen unchanged for refreshInterval on the monotonic clock, not a moment earlier', () => {
    const judge = observedExpiry.judge(400);
    const mono = { now: 50 };
    const clock = monoClock(mono);
    // the wall time given is ignored: a remote expiry far in the past does not count
    expect(judge.judge(seenRecord(10), 99_999, clock)).toEqual({ state: 'owned', nowMs: 50, expiresMs: 450 });
    mono.now = 449;
    expect(judge.judge(seenRecord(10), 99_999, clock)).toEqual({ state: 'owned', nowMs: 449, expiresMs: 450 });
    mono.now = 450;
    expect(judge.judge(seenRecord(10), 99_999, clock)).toEqual({ state: 'expired', nowMs: 450, expiresMs: 450 });
  });

  it("uses the record's own lease when it names one", () => {
    const judge = observedExpiry.judge(400);
    const mono = { now: 0 };
    expect(judge.judge(seenRecord(10, [1], 100), 0, monoClock(mono))).toEqual({ state: 'owned', nowMs: 0, expiresMs: 100 });
    mono.now = 100;
    expect(judge.judge(seenRecord(10, [1], 100), 0, monoClock(mono)).state).toBe('expired');
  });

  it('starts the observation again when the bytes change, or after forget()', () => {
    const judge = observedExpiry.judge(400);
    const mono = { now: 0 };
    const clock = monoClock(mono);
    judge.judge(seenRecord(10, [1]), 0, clock);
    mono.now = 300;
    expect(judge.judge(seenRecord(20, [2]), 0, clock)).toEqual({ state: 'owned', nowMs: 300, expiresMs: 700 });
    mono.now = 500;
    // same bytes as at 300: still the window from 300
    expect(judge.judge(seenRecord(20, [2]), 0, clock)).toEqual({ state: 'owned', nowMs: 500, expiresMs: 700 });
    judge.forget();
    expect(judge.judge(seenRecord(20, [2]), 0, clock)).toEqual({ state: 'owned', nowMs: 500, expiresMs: 900 });
  });

  it('gives each acquire loop its own memory', () => {
    const mono = { now: 0 };
    const clock = monoClock(mono);
    const a = observedExpiry.judge(400);
    a.judge(seenRecord(10), 0, clock);
    mono.now = 400;
    expect(a.judge(seenRecord(10), 0, clock).state).toBe('expired');
    expect(observedExpiry.judge(400).judge(seenRecord(10), 0, clock).state).toBe('owned');
  });

  it('judges on the monotonic clock', () => {
    expect(observedExpiry.judge(400).nowOn(1_234, monoClock({ now: 7 }))).toBe(7);
  });
});

describe('the bundled strategies state their rules', () => {
  it('lakefs: lakeFS as shipped', () => {
    expect(lakefsStrategy).toMatchObject({
      name: 'lakefs',
      expiry: wallClockExpiry,
      refresh: { cadenceFrom: 'own-resolved', onReadError: 'stop', stoppedByOwnSignal: true },
      release: { order: 'write-then-stop', attempts: 1 },
      signalsLoss: false,
      fencing: false,
      handoff: { localQueue: false, push: false },
      speculate: false,
    });
    expect(lakefsStrategy.acquireRetryDelayMs).toBe(sleepUntilExpiryMs);
  });

  it('fixed and observed: the same rules, different expiry', () => {
    for (const [s, name, expiry] of [
      [fixedStrategy, 'fixed', wallClockExpiry],
      [observedStrategy, 'observed', observedExpiry],
    ] as const) {
      expect(s).toMatchObject({
        name,
        expiry,
        refresh: { cadenceFrom: 'acquire-sent', onReadError: 'retry', stoppedByOwnSignal: false },
        release: { order: 'stop-then-write', attempts: 3 },
        signalsLoss: true,
        fencing: true,
        handoff: { localQueue: true, push: true },
        speculate: true,
      });
      expect(s.acquireRetryDelayMs).toBe(pollDelayMs);
    }
  });

  it('STRATEGIES names each by its own name', () => {
    expect(Object.keys(STRATEGIES)).toEqual(['lakefs', 'fixed', 'observed']);
    for (const [name, s] of Object.entries(STRATEGIES)) expect(s.name).toBe(name);
  });

  it('strategies and their rules are frozen', () => {
    for (const s of Object.values(STRATEGIES)) expect(Object.isFrozen(s)).toBe(true);
    expect(Object.isFrozen(wallClockExpiry)).toBe(true);
    expect(Object.isFrozen(wallClockExpiry.judge(1))).toBe(true);
    expect(Object.isFrozen(observedExpiry)).toBe(true);
    expect(Object.isFrozen(fixedStrategy.refresh)).toBe(true);
    expect(Object.isFrozen(fixedStrategy.release)).toBe(true);
    expect(Object.isFrozen(fixedStrategy.handoff)).toBe(true);
  });
});

describe('defineStrategy refuses a strategy the loops cannot honour', () => {
  /** fixed's rules under another name, with `change` applied (a plain, unfrozen copy). */
  const variant = (change: (s: Record<string, any>) => void): Strategy => {
    const s: Record<string, any> = {
      ...fixedStrategy,
      name: 'mine',
      refresh: { ...fixedStrategy.refresh },
      release: { ...fixedStrategy.release },
      handoff: { ...fixedStrategy.handoff },
    };
    change(s);
    return s as Strategy;
  };
  const problem = (s: unknown): string => {
    try {
      defineStrategy(s as Strategy);
    } catch (err) {
      expect(err).toBeInstanceOf(StrategyError);
      expect(err).toBeInstanceOf(TypeError);
      expect((err as StrategyError).name).toBe('StrategyError');
      expect((err as StrategyError).message).toBe(`strategy ${(err as StrategyError).strategy}: ${(err as StrategyError).problem}`);
      return `${(err as StrategyError).strategy}: ${(err as StrategyError).problem}`;
    }
    return 'accepted';
  };

  it('accepts a valid one and returns it frozen', () => {
    const s = variant(() => {});
    expect(defineStrategy(s)).toBe(s);
    expect(Object.isFrozen(s)).toBe(true);
  });

  it('refuses what is not an object, and a missing or empty name', () => {
    expect(problem(null)).toBe('(unnamed): must be an object (see defineStrategy)');
    expect(problem('fixed')).toBe('(unnamed): must be an object (see defineStrategy)');
    expect(problem(variant((s) => delete s.name))).toBe('(unnamed): needs a non-empty name');
    expect(problem(variant((s) => (s.name = '')))).toBe('(unnamed): needs a non-empty name');
    expect(problem(variant((s) => (s.name = 7)))).toBe('(unnamed): needs a non-empty name');
  });

  it('refuses missing rules', () => {
    expect(problem(variant((s) => delete s.acquireRetryDelayMs))).toBe('mine: needs acquireRetryDelayMs(input)');
    expect(problem(variant((s) => (s.expiry = { name: 'x' })))).toBe('mine: needs an expiry rule with judge()');
    expect(problem(variant((s) => delete s.expiry))).toBe('mine: needs an expiry rule with judge()');
  });

  it('refuses refresh rules outside their values', () => {
    expect(problem(variant((s) => (s.refresh.cadenceFrom = 'later')))).toBe("mine: refresh.cadenceFrom must be 'acquire-sent' or 'own-resolved'");
    expect(problem(variant((s) => delete s.refresh))).toBe("mine: refresh.cadenceFrom must be 'acquire-sent' or 'own-resolved'");
    expect(problem(variant((s) => (s.refresh.cadenceFrom = 'own-resolved')))).toBe('accepted');
    expect(problem(variant((s) => (s.refresh.onReadError = 'ignore')))).toBe("mine: refresh.onReadError must be 'stop' or 'retry'");
    expect(problem(variant((s) => (s.refresh.onReadError = 'stop')))).toBe('accepted');
    expect(problem(variant((s) => (s.refresh.stoppedByOwnSignal = 'yes')))).toBe('mine: refresh.stoppedByOwnSignal must be a boolean');
  });

  it('refuses release rules outside their values', () => {
    expect(problem(variant((s) => (s.release.order = 'whenever')))).toBe("mine: release.order must be 'write-then-stop' or 'stop-then-write'");
    expect(problem(variant((s) => delete s.release))).toBe("mine: release.order must be 'write-then-stop' or 'stop-then-write'");
    for (const attempts of [0, -1, 1.5, Number.NaN, '2']) {
      expect(problem(variant((s) => (s.release.attempts = attempts)))).toBe('mine: release.attempts must be an integer ≥ 1');
    }
    expect(problem(variant((s) => (s.release.attempts = 1)))).toBe('accepted');
  });

  it('refuses flags that are not booleans', () => {
    for (const flag of ['signalsLoss', 'fencing', 'speculate']) {
      expect(problem(variant((s) => (s[flag] = 1)))).toBe(`mine: ${flag} must be a boolean`);
    }
    expect(problem(variant((s) => (s.handoff.localQueue = 'yes')))).toBe('mine: handoff.localQueue and handoff.push must be booleans');
    expect(problem(variant((s) => (s.handoff.push = 'yes')))).toBe('mine: handoff.localQueue and handoff.push must be booleans');
    expect(problem(variant((s) => delete s.handoff))).toBe('mine: handoff.localQueue and handoff.push must be booleans');
  });

  it('refuses a local queue without stop-then-write release or without fencing; allows either without a queue', () => {
    expect(problem(variant((s) => (s.release.order = 'write-then-stop')))).toBe(
      "mine: handoff.localQueue needs release.order 'stop-then-write' (a refresh in flight could otherwise re-extend the record just handed over)",
    );
    expect(problem(variant((s) => (s.fencing = false)))).toBe('mine: handoff.localQueue needs fencing (a handoff is a change of owner: the token must increment)');
    expect(
      problem(
        variant((s) => {
          s.handoff.localQueue = false;
          s.release.order = 'write-then-stop';
          s.fencing = false;
        }),
      ),
    ).toBe('accepted');
  });

  it('the owner checks the strategy it is given the same way', () => {
    const bad = variant((s) => (s.fencing = false));
    expect(() => new MostlyCorrectOwner({ store: new MemoryStore(), prefix: 'p', acquireInterval: 10, refreshInterval: 400, strategy: bad })).toThrow(StrategyError);
  });
});
