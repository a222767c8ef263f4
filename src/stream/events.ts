/**
 * One builder per SSE event of the contract. Each takes the payload as the generated type for
 * that event, so a payload that drifts from specs/asyncapi.yaml is a compile error here rather
 * than a contract violation found by a test; each returns the framed event (frame.ts).
 *
 * Ids: a `new_item` carries the cursor right after its item, which no other event has. Every
 * other event takes the position it stands at and carries it with a serial of its own
 * (cursor.ts, serialId), so no two events share an id and each still resumes from its position.
 */
import type { EventPayloads, StreamEventName } from '../contract/index.ts';
import { type EventId, serialId } from '../feed/cursor.ts';
import { frameEvent } from './frame.ts';
import { Frames } from './frames.ts';

type Payload<Name extends StreamEventName> = EventPayloads[Name];

/**
 * Serials per millisecond of the clock. The counter is one per process, strictly increasing, and
 * never behind `Date.now() × SERIALS_PER_MS`: a process a client moves to later starts above what
 * this one handed out (as long as their clocks agree within the reconnect delay), so a client
 * never sees one id twice. Running ahead of the clock (over 64 events a millisecond) is harmless.
 */
const SERIALS_PER_MS = 64;
let lastSerial = 0;

/** `position` with a serial no other event of this process has. */
function ownId(position: EventId): EventId {
  lastSerial = Math.max(lastSerial + 1, Date.now() * SERIALS_PER_MS);
  return serialId(position, lastSerial);
}

const framed = <Name extends StreamEventName>(event: Name, id: EventId, payload: Payload<Name>, retry?: number) =>
  Frames.event(frameEvent({ event, id, data: JSON.stringify(payload), ...(retry === undefined ? {} : { retry }) }));

/** @param after the cursor right after this item */
const newItemEvent = (after: EventId, payload: Payload<'new_item'>): Frames => framed('new_item', after, payload);
const streamOpenEvent = (position: EventId, payload: Payload<'stream_open'>): Frames =>
  framed('stream_open', ownId(position), payload);
const metricsEvent = (position: EventId, payload: Payload<'metrics'>): Frames =>
  framed('metrics', ownId(position), payload);
const sentimentUpdateEvent = (position: EventId, payload: Payload<'sentiment_update'>): Frames =>
  framed('sentiment_update', ownId(position), payload);
const heartbeatEvent = (position: EventId, payload: Payload<'heartbeat'>): Frames =>
  framed('heartbeat', ownId(position), payload);
/** Also sets the client's reconnection delay (`retry:`) to the delay the payload announces. */
const reconnectEvent = (position: EventId, payload: Payload<'reconnect'>): Frames =>
  framed('reconnect', ownId(position), payload, payload.retry_ms);
const streamClosedEvent = (position: EventId, payload: Payload<'stream_closed'>): Frames =>
  framed('stream_closed', ownId(position), payload);

export {
  heartbeatEvent,
  metricsEvent,
  newItemEvent,
  reconnectEvent,
  sentimentUpdateEvent,
  streamClosedEvent,
  streamOpenEvent,
};
