/**
 * Framed SSE text with the number of events in it: what a stream is written. The two travel
 * together so that the events-sent count cannot drift from the bytes, and a batch is built once
 * per view whatever the number of its streams (fan-out.ts).
 */
class Frames {
  /** Nothing to write. */
  static readonly none = new Frames('', 0);

  readonly text: string;
  readonly events: number;

  private constructor(text: string, events: number) {
    this.text = text;
    this.events = events;
  }

  /** One complete event, as frame.ts frames it. */
  static event(text: string): Frames {
    return new Frames(text, 1);
  }

  /** Text that dispatches no event (a `retry:` field). */
  static fields(text: string): Frames {
    return new Frames(text, 0);
  }

  /** All of `parts`, in order, joined once. */
  static concat(parts: Iterable<Frames>): Frames {
    let text = '';
    let events = 0;
    for (const part of parts) {
      text += part.text;
      events += part.events;
    }
    return events === 0 && text === '' ? Frames.none : new Frames(text, events);
  }

  get isEmpty(): boolean {
    return this.text === '';
  }

  /** These frames, then `others`. */
  plus(...others: Frames[]): Frames {
    return Frames.concat([this, ...others]);
  }
}

/**
 * One batch for the streams of a view: its body (items and ticker updates, which queue) and its
 * metrics (which coalesce while a stream is behind), and both joined once for the streams that
 * can take the whole batch in one write.
 */
interface BatchFrames {
  readonly body: Frames;
  readonly metrics: Frames | undefined;
  readonly all: Frames;
}

const batchFrames = (body: Frames, metrics: Frames | undefined): BatchFrames => ({
  body,
  metrics,
  all: metrics === undefined ? body : body.plus(metrics),
});

export type { BatchFrames };
export { batchFrames, Frames };
