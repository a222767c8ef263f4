/**
 * React hooks over the tickerpulse client, exported as `tickerpulse/react` (React 18 or 19, an
 * optional peer dependency). useStream() gives a component a live stream, shared with every other
 * component that asks for the same one. For REST, create one client with createRestClient() from
 * `tickerpulse/client` and call it from your data-fetching layer. docs/client.md, "React".
 */
export type { LatestEvents, StreamView, ViewState } from './shared-streams.ts';
export type { UseStreamOptions } from './use-stream.ts';
export { STREAM_ITEMS_KEPT } from './shared-streams.ts';
export { useStream } from './use-stream.ts';
