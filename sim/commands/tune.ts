/** `mco tune`: acquireInterval and refreshInterval for an environment: the derived bound, then a confirming sweep. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { stringify as stringifyYaml } from 'yaml';
import { ExitCode } from '../exit-codes.js';
import { importanceLines, sciInterval } from '../report/importance-text.js';
import { labelledTable } from '../report/table.js';
import { defaultWorkers } from '../runner.js';
import { DEFAULT_STRATEGY, loadScenarioRaw, OWNER_STRATEGIES, parseDuration, scenarioFiles } from '../scenario.js';
import type { Sweep } from '../sweep.js';
import { evidenceScenarioRaw, tune, TuneRefusal, type TuneInput, type TuneResult } from '../tune.js';
import { resolveShard } from '../shard.js';
import { importanceOptions, shardOptions } from './options.js';
import { sweepHtml, writeHtml } from './html.js';
import { interruptedCode, interruptible, jsonText, refuseShardWithImportance, textOut, UsageError, writeOut } from './shared.js';
import { defineVerb } from './verb.js';

export const tuneVerb = defineVerb({
  command: 'tune',
  describe: 'propose acquireInterval and refreshInterval for an environment: derived bound, then a confirming sweep',
  builder: (y) =>
    importanceOptions(shardOptions(y))
      .option('max-offset', { type: 'string', demandOption: true, describe: 'largest clock offset between two hosts (e.g. 20ms)' })
      .option('max-pause', { type: 'string', demandOption: true, describe: 'longest process pause (GC, stall), e.g. 150ms' })
      .option('store-latency-p99', { type: 'string', demandOption: true, describe: 'store latency p99 each way, e.g. 5ms' })
      .option('nodes', { type: 'number', default: 5, describe: 'processes contending for a key' })
      .option('strategy', { choices: OWNER_STRATEGIES, default: DEFAULT_STRATEGY, describe: 'the owner strategy to tune' })
      .option('target', { type: 'string', default: 'violation-rate<=0.001', describe: 'violation-rate<=X (runs with a violation) or per-acquisition<=X' })
      .option('max-failover', { type: 'string', describe: 'largest acceptable failover p99 after a crash, e.g. 2s' })
      .option('scenario', { type: 'string', describe: 'measure on this scenario instead of the generated one' })
      .option('seeds', { type: 'number', default: 50, describe: 'seeds per swept value' })
      .option('seed-start', { type: 'number', default: 1, describe: 'first seed' })
      .option('workers', { type: 'number', default: defaultWorkers(), describe: 'worker threads' })
      .option('html', { type: 'string', describe: 'write the sweep it used as HTML' })
      .option('json', { type: 'string', describe: 'write the derived bound, the candidates and the recommendation as JSON (- for stdout)' })
      .example('$0 tune --max-offset 20ms --max-pause 150ms --store-latency-p99 5ms --max-failover 2s', 'a lakeFS deployment')
      .example('$0 tune --max-offset 10ms --max-pause 100ms --store-latency-p99 5ms --target per-acquisition<=1e-6 --importance auto', 'a rate of 1e-6 per acquisition, measured by importance sampling'),
  run: async (a) => {
    const say = textOut(a.json);
    const shard = resolveShard(a.shard, a.shards);
    refuseShardWithImportance(shard, a.importance);
    if (shard !== undefined && a.html !== undefined) throw new UsageError('--html: not with --shard (mco merge --html draws the merged sweep)');
    if (shard !== undefined && a.json === undefined) throw new UsageError("--shard: needs --json FILE (the shard's evidence, which mco merge turns into the recommendation)");
    const need = (flag: string, v: string): number => {
      const d = parseDuration(v);
      if (d === undefined || d < 0) throw new UsageError(`--${flag}: expected a duration ≥ 0 like 20ms, got '${v}'`);
      return d;
    };
    const t = /^(violation-rate|per-acquisition)\s*<=\s*([\d.eE+-]+)$/.exec(a.target);
    if (!t || !(Number(t[2]) >= 0 && Number(t[2]) <= 1)) {
      throw new UsageError(`--target: expected violation-rate<=X or per-acquisition<=X with X in [0, 1], got '${a.target}'`);
    }
    if (!Number.isInteger(a.nodes) || a.nodes < 2 || a.nodes > 64) throw new UsageError(`--nodes: expected a whole number from 2 to 64, got ${a.nodes}`);
    const input: TuneInput = {
      maxOffsetMs: need('max-offset', a.maxOffset),
      maxPauseMs: need('max-pause', a.maxPause),
      storeLatencyP99Ms: need('store-latency-p99', a.storeLatencyP99),
      nodes: a.nodes,
      strategy: a.strategy,
      target: { metric: t[1] as 'violation-rate' | 'per-acquisition', max: Number(t[2]) },
      maxFailoverMs: a.maxFailover === undefined ? undefined : need('max-failover', a.maxFailover),
      ...(a.importance === undefined ? {} : { importance: { mode: a.importance, search: { batch: a.ceBatch, maxIterations: a.ceIterations } } }),
    };
    let file: string;
    if (a.scenario !== undefined) {
      [file] = scenarioFiles([a.scenario]) as [string];
      input.scenarioRaw = loadScenarioRaw(file);
      input.scenarioFile = file;
    } else {
      file = join(mkdtempSync(join(tmpdir(), 'mco-tune-')), 'tune-evidence.yaml');
      writeFileSync(file, stringifyYaml(evidenceScenarioRaw(input)));
    }
    const { signal, dispose } = interruptible();
    let result;
    try {
      result = await tune(input, { seeds: a.seeds, seedStart: a.seedStart, workers: a.workers, signal, ...(shard ? { shard } : {}) });
    } catch (err) {
      if (err instanceof TuneRefusal) {
        process.stderr.write(`mco tune: refused: ${err.message}\n`);
        return ExitCode.badInput;
      }
      throw err;
    } finally {
      dispose();
    }
    if (shard !== undefined) {
      const { evidenceScenario: _evidence, ...rest } = result;
      const { scenarioRaw: _raw, ...stated } = input;
      writeOut(a.json!, jsonText({ schemaVersion: 1, kind: 'tune', input: stated, scenario: file, seeds: { start: a.seedStart, count: a.seeds }, partial: signal.aborted, ...rest }));
      say(`mco tune: shard ${shard.index}/${shard.count} ran; merge all shards with mco merge for the recommendation\n`);
      return signal.aborted ? interruptedCode(signal) : ExitCode.ok;
    }
    const found = tuneOutputs(result, input, file, { start: a.seedStart, count: a.seeds }, signal.aborted, a, say);
    if (a.html !== undefined) await writeTuneHtml(result, a.html);
    return signal.aborted ? interruptedCode(signal) : found ? ExitCode.ok : ExitCode.failed;
  },
});

const ms = (x: number): string => `${+x.toFixed(3)}ms`;

/**
 * Prints the tuning's evidence and recommendation and writes --json; returns
 * whether a lease was recommended (also `mco merge`'s output for tune shards).
 */
export function tuneOutputs(
  result: TuneResult,
  input: Omit<TuneInput, 'scenarioRaw'> & { scenarioRaw?: unknown },
  file: string,
  seeds: { start: number; count: number },
  partial: boolean,
  a: { json?: string },
  say: (text: string) => void,
): boolean {
  const out: string[] = [];
  out.push(
    `mco tune: strategy ${input.strategy}; offset ≤ ${ms(input.maxOffsetMs)}, pauses ≤ ${ms(input.maxPauseMs)}, store latency p99 ${ms(input.storeLatencyP99Ms)}, ${input.nodes} nodes; target ${input.target.metric}<=${input.target.max}${input.maxFailoverMs !== undefined ? `, failover p99 ≤ ${ms(input.maxFailoverMs)}` : ''}`,
    `derived (sim/bound.ts, docs/bound.md): refreshInterval ≥ ${result.derived.refreshIntervalMs} ms is provably safe at these maxima (margin ${result.derived.marginMs.toFixed(3)} ms); acquireInterval ${result.derived.acquireIntervalMs} ms`,
    `measured on ${file}, seeds ${seeds.start}..${seeds.start + seeds.count - 1}:`,
    labelledTable(
      ['refreshInterval', 'meets'],
      result.candidates.map((c) => ({ label: [`${c.refreshIntervalMs}ms`, c.meetsTarget && c.meetsFailover ? 'yes' : c.meetsTarget ? 'failover' : 'no'], report: c.report })),
    ),
  );
  for (const c of result.candidates) if (c.report.importance) out.push(...importanceLines({ ...c.report, scenario: `refreshInterval ${c.refreshIntervalMs}ms` }));
  const r = result.recommended;
  if (r === undefined) {
    out.push('', 'no swept refreshInterval met the target: the environment is worse than its stated maxima in this scenario; widen the sweep with mco sweep, or relax the target');
  } else {
    const v = r.report.violationRate;
    const pa = r.report.perAcquisitionViolationRate;
    out.push(
      '',
      `recommendation: strategy ${input.strategy}, acquireInterval ${r.acquireIntervalMs} ms, refreshInterval ${r.refreshIntervalMs} ms`,
      ...(r.report.importance
        ? [
            `  weighted (importance sampling): per acquisition ${sciInterval(r.report.importance.perAcquisitionViolationRate)}, runs with a violation ${sciInterval(r.report.importance.violationRate)}`,
          ]
        : []),
      `  runs with a violation ${(v.value * 100).toFixed(2)}% [${(v.low * 100).toFixed(2)}%, ${(v.high * 100).toFixed(2)}%], per acquisition ${(pa.value * 100).toFixed(4)}% [${(pa.low * 100).toFixed(4)}%, ${(pa.high * 100).toFixed(4)}%]`,
      `  failover p99 ${r.report.failoverMs ? `${r.report.failoverMs.p99} ms` : 'not measured (no holder crashed)'}, store ops per held second ${r.report.storeOps.perHeldSecond}`,
    );
    if (result.benefit) {
      const n = result.benefit.none.operations!;
      const o = result.benefit.owned.operations!;
      out.push(
        `  benefit against no owner: wasted work ${(n.wastedShare * 100).toFixed(1)}% → ${(o.wastedShare * 100).toFixed(1)}%, failed operations ${n.failed} → ${o.failed}, operations/s ${n.perSecond} → ${o.perSecond}`,
      );
    }
  }
  out.push(
    '',
    `reproduce: npx mco sweep ${file} --set owner.strategy=${input.strategy} --set owner.acquireInterval=${result.derived.acquireIntervalMs}ms --vary owner.refreshInterval=${result.candidates.map((c) => `${c.refreshIntervalMs}ms`).join(',')} --seeds ${seeds.count} --seed-start ${seeds.start}${input.importance ? ` --importance ${input.importance.mode}` : ''}`,
  );
  say(`${out.join('\n')}\n`);
  if (a.json !== undefined) {
    // the scenario is named by its file; its raw data would only repeat it
    const { evidenceScenario: _evidence, ...rest } = result;
    const { scenarioRaw: _raw, ...stated } = input;
    writeOut(a.json, jsonText({ schemaVersion: 1, kind: 'tune', input: stated, scenario: file, seeds, partial, ...rest }));
  }
  return r !== undefined;
}

/** The sweep the tuning measured, as HTML. */
export async function writeTuneHtml(result: TuneResult, file: string): Promise<void> {
  const sweep: Sweep = {
    schemaVersion: 1,
    kind: 'sweep',
    scenario: result.candidates[0]?.report.scenario ?? 'tune',
    vary: [{ path: 'owner.refreshInterval', values: result.candidates.map((c) => `${c.refreshIntervalMs}ms`) }],
    cells: result.candidates.map((c) => ({ labels: [`${c.refreshIntervalMs}ms`], report: c.report })),
  };
  writeHtml(file, await sweepHtml(sweep));
}
