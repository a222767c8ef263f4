/**
 * The SSE half of the contract: the event union, discriminated by the SSE `event:` name, and
 * checks of event frames against the generated AsyncAPI validators.
 */
import { channels, type EventPayloads, events, type SseFields, sseFields } from '../../generated/events.ts';
import { type Parsed, toIssues } from './issues.ts';

type StreamEventName = keyof EventPayloads;
type ChannelKey = keyof typeof channels;

/** One SSE event as the contract defines it: name, frame fields and typed payload. */
type StreamEvent = {
  [Name in StreamEventName]: {
    readonly event: Name;
    readonly id: string;
    readonly retry?: number;
    readonly data: EventPayloads[Name];
  };
}[StreamEventName];

/** The SSE event names as constants, so code never spells them by hand. */
const StreamEventNames = Object.freeze(
  Object.fromEntries(Object.keys(events).map((name) => [name.toUpperCase(), name])) as {
    readonly [Name in StreamEventName as Uppercase<Name>]: Name;
  },
);

const isEventName = (name: string): name is StreamEventName => Object.hasOwn(events, name);

/** A received frame before checking: the `event`, `id`, optional `retry` and the raw `data` text. */
interface RawFrame {
  readonly event: string;
  readonly id: string | undefined;
  readonly retry?: number | undefined;
  readonly data: string;
}

/**
 * Checks one received SSE frame: a known event name, valid frame fields, JSON data that matches
 * the event's payload schema, and (when `channel` is given) an event that channel may carry.
 */
function parseEvent(frame: RawFrame, channel?: ChannelKey): Parsed<StreamEvent> {
  const fail = (message: string): Parsed<StreamEvent> => ({
    ok: false,
    issues: [{ location: 'body', pointer: '', message }],
  });
  if (!isEventName(frame.event)) return fail(`unknown event "${frame.event}"`);
  if (channel !== undefined && !(channels[channel].events as readonly string[]).includes(frame.event)) {
    return fail(`event "${frame.event}" is not carried by channel ${channel}`);
  }
  const fields: Partial<SseFields> = { id: frame.id, ...(frame.retry === undefined ? {} : { retry: frame.retry }) };
  if (!sseFields(fields)) return { ok: false, issues: toIssues('header', sseFields.errors) };
  let data: unknown;
  try {
    data = JSON.parse(frame.data);
  } catch {
    return fail(`event "${frame.event}": data is not JSON`);
  }
  const validate = events[frame.event].validate;
  if (!validate(data)) return { ok: false, issues: toIssues('body', validate.errors) };
  return { ok: true, value: { event: frame.event, ...fields, data } as StreamEvent };
}

/** Checks an event about to be sent (used by tests of the stream engine and by its debug mode). */
function checkEventPayload<Name extends StreamEventName>(event: Name, payload: unknown): Parsed<EventPayloads[Name]> {
  const validate = events[event].validate;
  return validate(payload)
    ? { ok: true, value: payload as EventPayloads[Name] }
    : { ok: false, issues: toIssues('body', validate.errors) };
}

export type { ChannelKey, EventPayloads, RawFrame, SseFields, StreamEvent, StreamEventName };
export { channels, checkEventPayload, isEventName, parseEvent, StreamEventNames };
