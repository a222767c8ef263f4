/**
 * N SSE clients in the benchmark's own process, on raw `node:net` sockets with a hand-written
 * request, connected in bounded waves and spread over several 127.0.0.x source addresses (so no
 * single source address runs out of ephemeral ports). It records when each client received each
 * expected `new_item`, in one Float64Array per item, and counts everything else it receives.
 */
import { connect, type Socket } from 'node:net';
import { performance } from 'node:perf_hooks';
import { SseWireDecoder, type SseWireSink } from './sse-wire.ts';

/** Where and how to connect. */
interface SseClientOptions {
  /** A loopback address (127.0.0.0/8). */
  readonly host: string;
  readonly port: number;
  /** Request target, e.g. `/api/v2/stream`. */
  readonly path: string;
  /** Source addresses used round-robin, all loopback. */
  readonly localAddresses: readonly string[];
}

/** Bounds of one connect phase. */
interface ConnectLimits {
  readonly count: number;
  /** Connections awaiting their response head and first frame at any one time. */
  readonly concurrency: number;
  /** Per connection: from connect() to the first frame. */
  readonly timeoutMs: number;
  /** The whole phase: connections not started by then are counted as not attempted. */
  readonly budgetMs: number;
}

/** How a connect phase went. */
interface ConnectOutcome {
  readonly connected: number;
  readonly failed: number;
  /** Failure reason (errno code, `status 503`, `timeout`, ...) → count. */
  readonly failures: ReadonlyMap<string, number>;
  /** From the first connect() to the last client's first frame. */
  readonly connectAllMs: number;
}

/** Counters of what the clients received, for deltas over a phase. */
interface ReceiveCounters {
  /** Frames that carried data (dispatched events), of any type. */
  readonly events: number;
  /** Expected `new_item`s received for the first time by a client. */
  readonly unique: number;
  /** Expected `new_item`s received again by a client that already had them. */
  readonly duplicates: number;
}

const PENDING = 0;
const READY = 1;
const FAILED = 2;
const DROPPED = 3;

// A regex instead of JSON.parse: the id is all the benchmark needs from each of N × E payloads.
const ITEM_ID = /"item_id"\s*:\s*"([^"\\]*)"/;

/** A set of SSE connections to one server; not reusable once closed. */
class SseClientPool implements SseWireSink {
  readonly #options: SseClientOptions;
  readonly #request: string;
  #sockets: (Socket | undefined)[] = [];
  #decoders: (SseWireDecoder | undefined)[] = [];
  #states = new Uint8Array(0);
  #failureOf: (string | undefined)[] = [];
  #timers: (NodeJS.Timeout | undefined)[] = [];
  #settle: ((client: number) => void) | undefined;
  #lastReadyAt = 0;
  #closing = false;
  #dropped = 0;

  #itemIndex = new Map<string, number>();
  #received: Float64Array[] = [];
  #events = 0;
  #unique = 0;
  #duplicates = 0;
  #unexpectedItems = 0;
  #byType = new Map<string, number>();

  constructor(options: SseClientOptions) {
    this.#options = options;
    this.#request =
      `GET ${options.path} HTTP/1.1\r\nHost: ${options.host}:${options.port}\r\n` +
      'Accept: text/event-stream\r\nCache-Control: no-cache\r\n\r\n';
  }

  /** Opens `limits.count` connections; resolves when each is ready, has failed, or the budget is spent. */
  connect(limits: ConnectLimits): Promise<ConnectOutcome> {
    const { count, concurrency, timeoutMs, budgetMs } = limits;
    this.#sockets = new Array<Socket | undefined>(count);
    this.#decoders = new Array<SseWireDecoder | undefined>(count);
    this.#states = new Uint8Array(count);
    this.#failureOf = new Array<string | undefined>(count);
    this.#timers = new Array<NodeJS.Timeout | undefined>(count);
    const started = performance.now();
    this.#lastReadyAt = started;
    let next = 0;
    let inFlight = 0;
    return new Promise<ConnectOutcome>((done) => {
      const launch = (): void => {
        const inBudget = performance.now() - started < budgetMs;
        while (inBudget && inFlight < concurrency && next < count && !this.#closing) {
          inFlight += 1;
          this.#open(next, timeoutMs);
          next += 1;
        }
        if (inFlight > 0) return;
        for (let i = next; i < count; i += 1) this.#markFailed(i, 'not attempted');
        this.#settle = undefined;
        done(this.#outcome(started));
      };
      this.#settle = () => {
        inFlight -= 1;
        launch();
      };
      launch();
    });
  }

  #open(client: number, timeoutMs: number): void {
    const { host, port, localAddresses } = this.#options;
    const localAddress = localAddresses[client % localAddresses.length];
    const socket = connect({ host, port, ...(localAddress === undefined ? {} : { localAddress }) });
    const decoder = new SseWireDecoder(client, this);
    this.#sockets[client] = socket;
    this.#decoders[client] = decoder;
    let lastError: string | undefined;
    this.#timers[client] = setTimeout(() => {
      this.#fail(client, 'timeout');
    }, timeoutMs);
    socket.once('connect', () => {
      socket.write(this.#request);
    });
    socket.on('data', (bytes: Buffer) => {
      decoder.push(bytes, performance.now());
    });
    socket.on('error', (error: NodeJS.ErrnoException) => {
      lastError = error.code ?? error.message;
    });
    socket.once('close', () => {
      const state = this.#states[client];
      if (state === PENDING) this.#fail(client, lastError ?? 'closed before first frame');
      else if (state === READY && !this.#closing) {
        this.#states[client] = DROPPED;
        this.#dropped += 1;
      }
    });
  }

  #ready(client: number): void {
    if (this.#states[client] !== PENDING) return;
    this.#states[client] = READY;
    this.#lastReadyAt = performance.now();
    this.#clearTimer(client);
    this.#settle?.(client);
  }

  #fail(client: number, reason: string): void {
    if (this.#states[client] !== PENDING) return;
    this.#markFailed(client, reason);
    this.#decoders[client]?.stop();
    this.#clearTimer(client);
    this.#sockets[client]?.destroy();
    this.#settle?.(client);
  }

  #clearTimer(client: number): void {
    clearTimeout(this.#timers[client]);
    this.#timers[client] = undefined;
  }

  #markFailed(client: number, reason: string): void {
    this.#states[client] = FAILED;
    this.#failureOf[client] = reason;
  }

  #outcome(started: number): ConnectOutcome {
    const failures = new Map<string, number>();
    let connected = 0;
    for (let i = 0; i < this.#states.length; i += 1) {
      if (this.#states[i] === READY) connected += 1;
      else {
        const reason = this.#failureOf[i] ?? 'unknown';
        failures.set(reason, (failures.get(reason) ?? 0) + 1);
      }
    }
    return {
      connected,
      failed: this.#states.length - connected,
      failures,
      connectAllMs: this.#lastReadyAt - started,
    };
  }

  onHead(client: number, status: number): void {
    if (status !== 200) this.#fail(client, `status ${status}`);
  }

  onFrame(client: number, event: string, data: string | undefined, receivedAt: number): void {
    if (this.#states[client] === PENDING) this.#ready(client);
    if (data === undefined) return;
    this.#events += 1;
    this.#byType.set(event, (this.#byType.get(event) ?? 0) + 1);
    if (event !== 'new_item') return;
    const id = ITEM_ID.exec(data)?.[1];
    const index = id === undefined ? undefined : this.#itemIndex.get(id);
    const times = index === undefined ? undefined : this.#received[index];
    if (times === undefined) {
      this.#unexpectedItems += 1;
      return;
    }
    if (Number.isNaN(times[client])) {
      times[client] = receivedAt;
      this.#unique += 1;
    } else this.#duplicates += 1;
  }

  onBodyEnd(client: number, error: string | undefined): void {
    if (this.#states[client] === PENDING) this.#fail(client, error ?? 'stream ended before first frame');
    else this.#sockets[client]?.destroy();
  }

  /** Registers the item ids about to be published; receipts are recorded against these only. */
  expectItems(itemIds: readonly string[]): void {
    for (const id of itemIds) {
      if (this.#itemIndex.has(id)) continue;
      this.#itemIndex.set(id, this.#received.length);
      this.#received.push(new Float64Array(this.#states.length).fill(Number.NaN));
    }
  }

  /** Receive times (performance.now()) of an expected item, per client; NaN where not received. */
  receivedTimes(itemId: string): Float64Array {
    const index = this.#itemIndex.get(itemId);
    const times = index === undefined ? undefined : this.#received[index];
    if (times === undefined) throw new Error(`item ${itemId} was not expected`);
    return times;
  }

  /** Clients that are connected and have not dropped. */
  liveClients(): number {
    let live = 0;
    for (const state of this.#states) if (state === READY) live += 1;
    return live;
  }

  /** Clients that were connected and then lost their connection without the pool closing it. */
  dropped(): number {
    return this.#dropped;
  }

  counters(): ReceiveCounters {
    return { events: this.#events, unique: this.#unique, duplicates: this.#duplicates };
  }

  /** Dispatched events per type so far, and `new_item`s that were not published by this run. */
  received(): { readonly byType: ReadonlyMap<string, number>; readonly unexpectedItems: number } {
    return { byType: new Map(this.#byType), unexpectedItems: this.#unexpectedItems };
  }

  /**
   * Closes every connection with a reset rather than a FIN, so 10,000 client ports do not sit in
   * TIME_WAIT for the next server's run.
   */
  close(): void {
    this.#closing = true;
    for (const socket of this.#sockets) {
      if (socket === undefined || socket.destroyed) continue;
      if (socket.readyState === 'open') socket.resetAndDestroy();
      else socket.destroy();
    }
  }
}

export type { ConnectLimits, ConnectOutcome, ReceiveCounters, SseClientOptions };
export { SseClientPool };
