// Two workers in one process take turns on a key held in Redis: the README's
// Redis example, runnable. Needs REDIS_URL (npm run example:stores starts a
// throwaway redis-server and sets it).
import { MostlyCorrectOwner } from 'mostly-correct-owner';
import { RedisStore } from 'mostly-correct-owner/redis';

const url = process.env.REDIS_URL;
if (url === undefined) throw new Error('set REDIS_URL, e.g. redis://127.0.0.1:6379/0 (or run: npm run example:stores)');

await using store = new RedisStore({ url });
await using owners = new MostlyCorrectOwner({ store, prefix: 'example', acquireInterval: 50, refreshInterval: 2_000 });

async function rebuild(worker: string): Promise<void> {
  await owners.withOwnership(worker, 'repo/main', async (lost, o) => {
    console.log(`redis: ${o.owner} owns repo/main (fencing token ${o.token ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (lost.aborted) console.log(`redis: ${worker} lost repo/main while working`);
  });
}

await Promise.all([rebuild('alice'), rebuild('bob')]);
console.log(`redis: both workers done on ${store.address}`);
