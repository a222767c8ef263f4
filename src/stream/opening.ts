/**
 * The frames a stream opens with, and the heartbeat: `retry`, stream_open, the view's snapshot
 * when it has one, then a heartbeat, the confirmation a client can read at once that the stream
 * is up and how fresh its data is.
 *
 * A connect storm opens many fresh streams per millisecond on one view, all from the view's
 * cursor. So the whole opening is framed once per (outcome, cursor, snapshot, millisecond) and the
 * same string is written to each of them; a resumed stream starts from its own cursor and gets its
 * own. Within that millisecond its heartbeat reports the
 * connection count and poll health as of the first of them: every field of a heartbeat is a
 * reading taken at its timestamp, and the timestamp has millisecond resolution.
 */
import { heartbeatEvent, streamOpenEvent } from './events.ts';
import type { FeedHealth } from './feed-poller.ts';
import { frameRetry } from './frame.ts';
import { Frames } from './frames.ts';
import type { EventId } from './ports.ts';
import type { FramedSnapshot } from './views.ts';

type OpenOutcome = 'fresh' | 'resumed' | 'reset';

interface OpeningSources {
  readonly retryMs: number;
  readonly heartbeatIntervalMs: number;
  readonly now: () => number;
  /** Open streams in this process, as the heartbeat reports them. */
  readonly connections: () => number;
  readonly health: () => FeedHealth;
}

/** The last opening framed, with what it was framed from. */
interface LastOpening {
  readonly outcome: OpenOutcome;
  readonly id: EventId;
  readonly ms: number;
  readonly snapshot: FramedSnapshot | undefined;
  readonly opening: Frames;
}

/** One-entry memo of Date#toISOString: the same millisecond (or poll time) is formatted once. */
function isoTimes(): (ms: number) => string {
  let lastMs = Number.NaN;
  let lastText = '';
  return (ms) => {
    if (ms !== lastMs) {
      lastMs = ms;
      lastText = new Date(ms).toISOString();
    }
    return lastText;
  };
}

class Openings {
  readonly #sources: OpeningSources;
  readonly #serverTimeIso = isoTimes();
  readonly #lastPollIso = isoTimes();
  #last: LastOpening | undefined;

  constructor(sources: OpeningSources) {
    this.#sources = sources;
  }

  /** A heartbeat with id `id`, as of `ms` (now by default). */
  heartbeat(id: EventId, ms = this.#sources.now()): Frames {
    const health = this.#sources.health();
    return heartbeatEvent(id, {
      timestamp: this.#serverTimeIso(ms),
      connections: this.#sources.connections(),
      status: health.status,
      last_poll_at: health.lastPollAt === null ? null : this.#lastPollIso(health.lastPollAt),
      lag_ms: health.lagMs,
    });
  }

  /** The opening of a stream that starts at `id`, with the view's framed snapshot if it has one. */
  opening(outcome: OpenOutcome, id: EventId, snapshot: FramedSnapshot | undefined): Frames {
    const ms = this.#sources.now();
    const last = this.#last;
    if (last?.ms === ms && last.id === id && last.outcome === outcome && last.snapshot === snapshot) {
      return last.opening;
    }
    const opening = this.#frame(outcome, id, snapshot, ms);
    this.#last = { outcome, id, ms, snapshot, opening };
    return opening;
  }

  #frame(outcome: OpenOutcome, id: EventId, snapshot: FramedSnapshot | undefined, ms: number): Frames {
    const { retryMs, heartbeatIntervalMs } = this.#sources;
    const open = streamOpenEvent(id, {
      outcome,
      retry_ms: retryMs,
      heartbeat_interval_ms: heartbeatIntervalMs,
      server_time: this.#serverTimeIso(ms),
    });
    return Frames.fields(frameRetry(retryMs)).plus(open, snapshot?.frames ?? Frames.none, this.heartbeat(id, ms));
  }
}

export type { OpeningSources, OpenOutcome };
export { Openings };
