/**
 * Regression (found by `mco live` cutting PostgreSQL connections): when the
 * last watcher left, the store took its handlers off the listening
 * connection and then sent `UNLISTEN *`. A connection that died during that
 * query made `pg` emit 'error' on a client nobody listened on: an uncaught
 * exception that killed the process. The client must have an 'error'
 * listener for as long as the store uses it.
 */
import { EventEmitter } from 'node:events';
import { describe, expect, it } from 'vitest';
import { PostgresStore, type PostgresPool } from '../../src/postgres.js';

/** A pooled client whose `UNLISTEN *` dies with its connection, as pg reports it: 'error' on the client, then the query rejects. */
class DyingClient extends EventEmitter {
  listenersAtCut = -1;
  released: unknown[] = [];
  query(text: string): Promise<unknown> {
    if (!text.startsWith('UNLISTEN')) return Promise.resolve({ rows: [] });
    return new Promise((_resolve, reject) => {
      setImmediate(() => {
        const err = new Error('Connection terminated unexpectedly');
        this.listenersAtCut = this.listenerCount('error');
        if (this.listenersAtCut > 0) this.emit('error', err); // with none, emit would throw: the crash
        reject(err);
      });
    });
  }
  release(err?: unknown): void {
    this.released.push(err);
  }
}

describe('PostgresStore: the listening connection dies during UNLISTEN', () => {
  it('has an error listener at that moment, releases the client as broken, and leaves no listener of its own', async () => {
    const client = new DyingClient();
    const pool = { query: () => Promise.resolve({ rows: [] }), connect: () => Promise.resolve(client) } as unknown as PostgresPool;
    const store = new PostgresStore({ pool, createTable: false });
    const unwatch = store.watch('mc-ownership', new TextEncoder().encode('p/k'), () => {});
    await new Promise((r) => setImmediate(r)); // LISTEN sent on the connection taken from the pool
    unwatch(); // the last watcher: UNLISTEN *, and the connection goes back to the pool
    await new Promise((r) => setTimeout(r, 20));
    expect(client.listenersAtCut).toBeGreaterThan(0);
    expect(client.released).toHaveLength(1);
    expect(client.released[0]).toBeInstanceOf(Error); // destroyed, not handed back to the pool
    expect(client.listenerCount('error')).toBe(0);
    await store.close();
  });
});
