// Two workers share one key through a MemoryStore. The first owns it, works,
// releases; the second, waiting meanwhile, takes over. Run: npm run example
import { MemoryStore, MostlyCorrectOwner } from 'mostly-correct-owner';

const store = new MemoryStore();
const owners = new MostlyCorrectOwner({ store, prefix: 'branches', acquireInterval: 50, refreshInterval: 200 });
const t0 = performance.now();
const say = (msg: string): void => console.log(`${(performance.now() - t0).toFixed(0).padStart(5)} ms  ${msg}`);

async function worker(name: string, workMs: number): Promise<void> {
  say(`${name}: waiting for repo/main`);
  await using ownership = await owners.own(name, 'repo/main');
  say(`${name}: owns repo/main as ${ownership.owner}`);
  await new Promise((resolve) => setTimeout(resolve, workMs));
  say(`${name}: done, releasing`);
}

await Promise.all([worker('alice', 500), new Promise((r) => setTimeout(r, 20)).then(() => worker('bob', 100))]);
say('handoff complete');
