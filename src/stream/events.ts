/**
 * One builder per SSE event of the contract. Each takes the payload as the generated type for
 * that event, so a payload that drifts from specs/asyncapi.yaml is a compile error here rather
 * than a contract violation found by a test; each returns the framed event (frame.ts).
 */
import type { EventPayloads, StreamEventName } from '../contract/index.ts';
import { frameEvent } from './frame.ts';

type Payload<Name extends StreamEventName> = EventPayloads[Name];

const framed = <Name extends StreamEventName>(event: Name, id: string, payload: Payload<Name>, retry?: number) =>
  frameEvent({ event, id, data: JSON.stringify(payload), ...(retry === undefined ? {} : { retry }) });

const streamOpenEvent = (id: string, payload: Payload<'stream_open'>): string => framed('stream_open', id, payload);
const metricsEvent = (id: string, payload: Payload<'metrics'>): string => framed('metrics', id, payload);
const newItemEvent = (id: string, payload: Payload<'new_item'>): string => framed('new_item', id, payload);
const sentimentUpdateEvent = (id: string, payload: Payload<'sentiment_update'>): string =>
  framed('sentiment_update', id, payload);
const heartbeatEvent = (id: string, payload: Payload<'heartbeat'>): string => framed('heartbeat', id, payload);
/** Also sets the client's reconnection delay (`retry:`) to the delay the payload announces. */
const reconnectEvent = (id: string, payload: Payload<'reconnect'>): string =>
  framed('reconnect', id, payload, payload.retry_ms);
const streamClosedEvent = (id: string, payload: Payload<'stream_closed'>): string =>
  framed('stream_closed', id, payload);

export {
  heartbeatEvent,
  metricsEvent,
  newItemEvent,
  reconnectEvent,
  sentimentUpdateEvent,
  streamClosedEvent,
  streamOpenEvent,
};
