/**
 * A child process for the end-to-end tests: owns one key on a real store
 * through MostlyCorrectOwner and reports on stdout, one JSON object a line.
 *
 * env: STORE (redis | postgres), STORE_URL, KEY, WORKER (a name), MODE
 * (`loop`: LOOPS × own → inside+1 → hold HOLD_MS → inside-1 → release → think
 * THINK_MS; `hold`: own once and hold until killed), REFRESH_MS, ACQUIRE_MS.
 *
 * The "inside" counter lives in the same store (partition `e2e`), changed by
 * compare-and-set, so two processes inside at once are seen as a count of 2.
 */
import { MostlyCorrectOwner, type Store } from '../../src/index.js';
import { PostgresStore } from '../../src/postgres.js';
import { RedisStore } from '../../src/redis.js';

const env = (name: string, fallback?: string): string => {
  const v = process.env[name] ?? fallback;
  if (v === undefined) throw new Error(`worker: ${name} is not set`);
  return v;
};
const emit = (event: string, fields: Record<string, unknown> = {}): void => {
  process.stdout.write(`${JSON.stringify({ event, worker: env('WORKER'), t: Date.now(), ...fields })}\n`);
};
const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

const kind = env('STORE');
const url = env('STORE_URL');
const store: Store & { close(): Promise<void> } =
  kind === 'redis' ? new RedisStore({ url }) : new PostgresStore({ connectionString: url, table: env('TABLE', 'kv') });
const key = env('KEY');
const insideKey = new TextEncoder().encode(`inside/${key}`);

/** Adds `delta` to the inside counter by compare-and-set (swap); returns the new value. */
async function addInside(delta: number): Promise<number> {
  let entry = await store.get('e2e', insideKey);
  for (;;) {
    const current = entry === undefined ? 0 : Number(new TextDecoder().decode(entry.value));
    const next = current + delta;
    const result = await store.swap('e2e', insideKey, new TextEncoder().encode(String(next)), entry?.predicate ?? null);
    if (result.swapped) return next;
    entry = result.current; // lost to another worker: retry on what it wrote
  }
}

const owners = new MostlyCorrectOwner({
  store,
  prefix: 'e2e',
  refreshInterval: Number(env('REFRESH_MS')),
  acquireInterval: Number(env('ACQUIRE_MS')),
});

async function main(): Promise<void> {
  emit('waiting');
  if (env('MODE') === 'hold') {
    const o = await owners.own(env('WORKER'), key);
    emit('owned', { owner: o.owner });
    await new Promise(() => {}); // until killed
  }
  const loops = Number(env('LOOPS'));
  for (let i = 0; i < loops; i++) {
    const o = await owners.own(env('WORKER'), key);
    const entered = await addInside(1);
    emit('owned', { owner: o.owner, inside: entered });
    await sleep(Number(env('HOLD_MS')));
    const left = await addInside(-1);
    emit('leaving', { inside: left });
    await o.release();
    await sleep(Number(env('THINK_MS', '0')));
  }
  await store.close();
  emit('done');
}

main().catch((err: unknown) => {
  process.stderr.write(`worker ${process.env.WORKER}: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
