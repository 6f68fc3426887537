/**
 * Fault model (live): store latency, as a TCP proxy between the nodes and the
 * store server (this host's kernel has no `tc netem`). Every chunk of bytes
 * read from one side is written to the other after a delay drawn from the
 * scenario's distribution for that direction (client → server: request
 * latency; server → client: response latency), in order: a chunk never
 * overtakes the one before it on its connection, as on one TCP stream.
 *
 * Limits, and what the host adds:
 * - a delay is per chunk the proxy reads, not per store operation: a client
 *   that pipelines two commands in one write has both delayed once (the
 *   owner sends one command at a time, so for it the two are the same);
 * - the delay rides on Node's timers in the coordinator: it fires late by
 *   the coordinator's event-loop lateness (sub-ms idle, a few ms under load);
 *   {@link DelayProxy.added} keeps what was actually added, for the report;
 * - loopback adds its own round trip (≈ 0.1–0.2 ms) on top.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** A delaying TCP proxy on 127.0.0.1 (see the module comment). */
export class DelayProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  /** Delay actually added to each chunk (ms), both directions. */
  readonly added: number[] = [];
  /** Delay asked for each chunk (ms), in the same order as {@link DelayProxy.added}. */
  readonly asked: number[] = [];
  #port = 0;

  private constructor(
    readonly upstream: { host: string; port: number },
    readonly requestDelayMs: () => number,
    readonly responseDelayMs: () => number,
  ) {
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Starts a proxy to `upstream` on a free port. */
  static async start(upstream: { host: string; port: number }, requestDelayMs: () => number, responseDelayMs: () => number): Promise<DelayProxy> {
    const p = new DelayProxy(upstream, requestDelayMs, responseDelayMs);
    await new Promise<void>((resolve, reject) => {
      p.#server.once('error', reject);
      p.#server.listen(0, '127.0.0.1', () => resolve());
    });
    const a = p.#server.address();
    p.#port = typeof a === 'object' && a !== null ? a.port : 0;
    return p;
  }

  get port(): number {
    return this.#port;
  }

  #accept(client: Socket): void {
    const server = createConnection(this.upstream);
    client.setNoDelay(true);
    server.setNoDelay(true);
    this.#sockets.add(client);
    this.#sockets.add(server);
    const close = (): void => {
      client.destroy();
      server.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(server);
    };
    this.#pipe(client, server, this.requestDelayMs, close);
    this.#pipe(server, client, this.responseDelayMs, close);
  }

  /** Forwards `from` → `to`, each chunk after its drawn delay, in order; the end travels after the last chunk. */
  #pipe(from: Socket, to: Socket, delayMs: () => number, close: () => void): void {
    let lastAt = 0;
    const later = (atMs: number, fn: () => void): void => {
      const timer = setTimeout(() => {
        this.#timers.delete(timer);
        fn();
      }, Math.max(0, atMs - performance.now()));
      this.#timers.add(timer);
    };
    from.on('data', (chunk: Buffer) => {
      const received = performance.now();
      const asked = delayMs();
      // in order: never before the chunk ahead of it
      const at = Math.max(received + asked, lastAt);
      lastAt = at;
      later(at, () => {
        this.asked.push(asked);
        this.added.push(performance.now() - received);
        if (!to.destroyed) to.write(chunk);
      });
    });
    from.on('end', () => later(lastAt, () => to.end()));
    from.on('error', close);
    from.on('close', () => later(lastAt, close));
  }

  /** Stops listening and cuts every connection. */
  async close(): Promise<void> {
    for (const t of this.#timers) clearTimeout(t);
    this.#timers.clear();
    for (const s of this.#sockets) s.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }
}
