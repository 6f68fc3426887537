/**
 * Fault model (live): the network between the nodes and the store server, as
 * a TCP proxy (this host's kernel has no `tc netem`).
 *
 * Latency: every chunk of bytes read from one side is written to the other
 * after a delay drawn from the scenario's distribution for that direction
 * (client → server: request latency; server → client: response latency), in
 * order: a chunk never overtakes the one before it on its connection, as on
 * one TCP stream.
 *
 * Store errors and lost replies (the simulator's `errorRate` and
 * `lostReplyRate`, sim/sim-store.ts): for each chunk a client sends (one
 * request: the owner sends one command at a time per connection) the proxy
 * draws its fate. *Error before apply*: at the instant it would have
 * forwarded the request, it cuts the connection instead (the server never
 * sees it). *Lost reply*: it forwards the request, and cuts the connection
 * when the server's next chunk (the reply) would have been forwarded; the
 * server applied the request, the client never hears of it. What the client
 * library makes of a cut is its own: ioredis and pg see the connection close
 * (docs/live.md says what each then does).
 *
 * Limits, and what the host adds:
 * - a draw is per chunk the proxy reads, not per store operation: a client
 *   that pipelines two commands in one write has both delayed, or cut, once
 *   (the owner does not pipeline; a client's handshake on a fresh connection
 *   is a request like any other, and may be cut too);
 * - a cut ends every request in flight on the connection, and, on a
 *   subscriber connection, the release notifications pushed while the client
 *   reconnects;
 * - the delay rides on Node's timers in the coordinator: it fires late by
 *   the coordinator's event-loop lateness (sub-ms idle, a few ms under load);
 *   {@link DelayProxy.added} keeps what was actually added, for the report;
 * - loopback adds its own round trip (≈ 0.1–0.2 ms) on top.
 */
import { createConnection, createServer, type Server, type Socket } from 'node:net';

/** What happens to one request: forwarded, cut before it reaches the server, or its reply cut. */
export type RequestFate = 'pass' | 'error-before-apply' | 'lost-reply';

/** How the proxy treats the traffic; every field is optional (none: a plain relay). */
export interface ProxyFaults {
  /** Delay of each client → server chunk (ms). Default 0. */
  requestDelayMs: () => number;
  /** Delay of each server → client chunk (ms). Default 0. */
  responseDelayMs: () => number;
  /** The fate of each client → server chunk (one request). Default: always `pass`. */
  requestFate: () => RequestFate;
}

const NO_FAULTS: Readonly<ProxyFaults> = Object.freeze({ requestDelayMs: () => 0, responseDelayMs: () => 0, requestFate: (): RequestFate => 'pass' });

/** The fate of a request drawn as the simulator draws it: two uniform draws per request, whatever the rates. */
export function fateOf(errorRate: number, lostReplyRate: number, next: () => number): () => RequestFate {
  if (!(errorRate >= 0 && errorRate <= 1) || !(lostReplyRate >= 0 && lostReplyRate <= 1)) {
    throw new RangeError(`proxy: errorRate and lostReplyRate must be in [0, 1], got ${errorRate} and ${lostReplyRate}`);
  }
  return () => {
    const failBefore = next() < errorRate;
    const loseReply = next() < lostReplyRate;
    return failBefore ? 'error-before-apply' : loseReply ? 'lost-reply' : 'pass';
  };
}

/** A delaying, cutting TCP proxy on 127.0.0.1 (see the module comment). */
export class DelayProxy {
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  readonly #timers = new Set<NodeJS.Timeout>();
  readonly #faults: ProxyFaults;
  /** Delay actually added to each chunk (ms), both directions. */
  readonly added: number[] = [];
  /** Delay asked for each chunk (ms), in the same order as {@link DelayProxy.added}. */
  readonly asked: number[] = [];
  /** Requests seen and connections cut, by kind. */
  readonly cuts = { requests: 0, errorBeforeApply: 0, lostReply: 0 };
  #port = 0;

  private constructor(
    readonly upstream: { host: string; port: number },
    faults: Partial<ProxyFaults>,
  ) {
    this.#faults = { ...NO_FAULTS, ...faults };
    this.#server = createServer((client) => this.#accept(client));
  }

  /** Starts a proxy to `upstream` on a free port. */
  static async start(upstream: { host: string; port: number }, faults: Partial<ProxyFaults> = {}): Promise<DelayProxy> {
    const p = new DelayProxy(upstream, faults);
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
    let cut = false;
    const close = (): void => {
      cut = true;
      client.destroy();
      server.destroy();
      this.#sockets.delete(client);
      this.#sockets.delete(server);
    };
    let loseNextReply = false;
    this.#pipe(client, server, this.#faults.requestDelayMs, close, () => {
      if (cut) return 'drop';
      this.cuts.requests++;
      const fate = this.#faults.requestFate();
      if (fate === 'error-before-apply') {
        this.cuts.errorBeforeApply++;
        close();
        return 'drop';
      }
      if (fate === 'lost-reply') loseNextReply = true;
      return 'forward';
    });
    this.#pipe(server, client, this.#faults.responseDelayMs, close, () => {
      if (cut) return 'drop';
      if (!loseNextReply) return 'forward';
      this.cuts.lostReply++;
      close();
      return 'drop';
    });
  }

  /**
   * Forwards `from` → `to`, each chunk after its drawn delay, in order; the
   * end travels after the last chunk. `due` decides, when a chunk's delay is
   * over, whether it is forwarded or dropped (the connection cut).
   */
  #pipe(from: Socket, to: Socket, delayMs: () => number, close: () => void, due: () => 'forward' | 'drop'): void {
    let lastAt = 0;
    const later = (atMs: number, fn: () => void): void => {
      // nothing to wait for (no delay asked, nothing queued ahead): at once, not after a
      // zero timer, which costs ≈ 1 ms per chunk on this host (measured: added − asked p50 1.1 ms)
      if (atMs <= performance.now()) return fn();
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
        if (due() === 'drop') return;
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
