// Two workers in one process take turns on a key held in PostgreSQL (table
// kv, lakeFS's layout; the store creates it). Needs DATABASE_URL (npm run
// example:stores starts a throwaway PostgreSQL and sets it).
import { MostlyCorrectOwner } from 'mostly-correct-owner';
import { PostgresStore } from 'mostly-correct-owner/postgres';

const url = process.env.DATABASE_URL;
if (url === undefined) throw new Error('set DATABASE_URL, e.g. postgres://app:secret@127.0.0.1/app (or run: npm run example:stores)');

await using store = new PostgresStore({ connectionString: url });
await using owners = new MostlyCorrectOwner({ store, prefix: 'example', acquireInterval: 50, refreshInterval: 2_000 });

async function rebuild(worker: string): Promise<void> {
  await owners.withOwnership(worker, 'repo/main', async (lost, o) => {
    console.log(`postgres: ${o.owner} owns repo/main (fencing token ${o.token ?? 'none'})`);
    await new Promise((resolve) => setTimeout(resolve, 100));
    if (lost.aborted) console.log(`postgres: ${worker} lost repo/main while working`);
  });
}

await Promise.all([rebuild('alice'), rebuild('bob')]);
console.log(`postgres: both workers done on ${store.address}`);
