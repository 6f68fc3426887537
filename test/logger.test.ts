import { describe, expect, it } from 'vitest';
import { MemoryStore, lakefsStrategy, silentLogger, type LogFields, type Logger, type LogLevel } from '../src/index.js';
import { makeOwner } from './helpers/owner-fixture.js';
import { ManualTime } from './helpers/manual-time.js';

/** A logger that records every line it is handed, with an optional level filter. */
function countingLogger(isLevelEnabled?: (level: LogLevel) => boolean): Logger & { lines: { level: string; message: string; fields: LogFields }[] } {
  const lines: { level: string; message: string; fields: LogFields }[] = [];
  const at = (level: string) => (fields: LogFields, message: string) => void lines.push({ level, message, fields });
  return { lines, trace: at('trace'), debug: at('debug'), info: at('info'), warn: at('warn'), ...(isLevelEnabled ? { isLevelEnabled } : {}) };
}

/** own → hold past two refresh ticks → release, on a manual clock. */
async function cycle(logger: Logger): Promise<void> {
  const time = new ManualTime();
  const owner = makeOwner(lakefsStrategy, new MemoryStore(), { clock: time.clock(), logger });
  const pending = owner.own('a', 'k');
  await time.advanceTo(0);
  const ownership = await pending;
  await time.advanceTo(450);
  await ownership.release();
  await time.advanceTo(1000);
}

describe('logging levels', () => {
  it('the silent default says it writes nothing', () => {
    for (const level of ['trace', 'debug', 'info', 'warn'] as const) expect(silentLogger.isLevelEnabled?.(level)).toBe(false);
  });

  it('a logger without isLevelEnabled is handed every trace line, fields included', async () => {
    const log = countingLogger();
    await cycle(log);
    const messages = log.lines.filter((l) => l.level === 'trace').map((l) => l.message);
    expect(messages).toEqual(expect.arrayContaining(['Try to take ownership', 'Got ownership', 'Refreshed ownership', 'Deleted ownership']));
    expect(log.lines.find((l) => l.message === 'Refreshed ownership')?.fields).toMatchObject({ owner: expect.stringMatching(/^a#/), expires: expect.any(Number) });
  });

  it('a logger whose trace level is off is not handed the per-attempt trace lines, and every other line as before', async () => {
    const all = countingLogger();
    await cycle(all);
    const quiet = countingLogger((level) => level !== 'trace');
    await cycle(quiet);
    const skipped = ['Try to take ownership', 'Got ownership', 'Still owned; try again soon', 'Refreshed ownership', 'Deleted ownership'];
    expect(quiet.lines.filter((l) => skipped.includes(l.message))).toEqual([]);
    expect(quiet.lines.filter((l) => l.level !== 'trace').map((l) => l.message)).toEqual(all.lines.filter((l) => l.level !== 'trace').map((l) => l.message));
  });
});
