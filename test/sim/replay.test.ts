import { spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { applySets } from '../../sim/overrides.js';
import { replay, replayCommand, replayTimeline } from '../../sim/replay.js';
import { runSeed } from '../../sim/run.js';
import { loadScenario } from '../../sim/scenario.js';

const ROOT = join(import.meta.dirname, '../..');

describe('replayTimeline: the oracle’s beliefs and overlaps', () => {
  it('draws one bar per belief and exactly the overlaps the oracle judged (gc-pause, fixed, seed 7: a violation and a told holder)', async () => {
    const scenario = loadScenario(join(ROOT, 'scenarios/gc-pause.yaml'), { edit: (raw) => applySets(raw, ['owner.strategy=fixed']) });
    const r = await replay(scenario, 7);
    const { bars, overlaps } = replayTimeline(r);
    expect(r.result.violations).toBeGreaterThan(0);
    expect(bars).toHaveLength(r.result.acquisitions);
    expect(overlaps.map((o) => o.end - o.start)).toEqual(r.result.overlapsMs);
    // the first overlap starts at the first violation, on its key
    expect(overlaps.some((o) => o.start === r.result.firstViolation!.at && o.key === r.result.firstViolation!.key)).toBe(true);
    // a holder told of its loss stops believing when told (the oracle's end, whatever the trace says next)
    expect(r.result.told).toBeGreaterThan(0);
    const told = r.result.beliefs!.filter((b) => b.endReason === 'told');
    for (const b of told) expect(bars).toContainEqual({ node: `n${b.node}`, owner: b.owner, key: b.key, start: b.start, end: b.end! });
    // the same run without keepBeliefs: the same judgement, nothing kept
    const plain = await runSeed(scenario, 7, { trace: true });
    expect(plain.beliefs).toBeUndefined();
    expect(plain.overlapsMs).toEqual(r.result.overlapsMs);
    expect(plain.traceHash).toBe(r.result.traceHash);
  });

  it('clips bars and overlaps to the window', async () => {
    const scenario = loadScenario(join(ROOT, 'scenarios/clock-skew.yaml'), { edit: (raw) => applySets(raw, ['nodes=[{offset: 0ms}, {offset: 30ms}]', 'duration=400ms']) });
    const r = await replay(scenario, 1);
    const all = replayTimeline(r);
    expect(all.overlaps.length).toBeGreaterThan(0);
    const o = all.overlaps[0]!;
    const mid = (o.start + o.end) / 2;
    const window = replayTimeline(r, mid, mid + 1000);
    expect(window.overlaps[0]).toEqual({ key: o.key, start: mid, end: o.end });
    expect(window.bars.every((b) => b.start >= mid && b.end <= mid + 1000)).toBe(true);
    expect(window.bars.length).toBe(all.bars.filter((b) => b.end >= mid).length);
  });
});

describe('replayCommand', () => {
  it('quotes each word so that a POSIX shell reads back the same words', () => {
    const sets = ["nodes=[{offset: 0ms}, {offset: 30ms}]", "description=it's $HOME `x` \\ \"q\"", 'owner.refreshInterval=80ms'];
    const cmd = replayCommand('my scenarios/a b.yaml', 7, sets);
    expect(cmd.startsWith("npx mco replay 'my scenarios/a b.yaml' --seed 7 --set ")).toBe(true);
    expect(cmd).toContain(' --set owner.refreshInterval=80ms');
    const words = spawnSync('sh', ['-c', `printf '%s\\n' ${cmd.replace(/^npx mco /, '')}`], { encoding: 'utf8' }).stdout.split('\n').slice(0, -1);
    expect(words).toEqual(['replay', 'my scenarios/a b.yaml', '--seed', '7', ...sets.flatMap((x) => ['--set', x])]);
  });
});
