/**
 * The contract as the rest of src/ sees it: types and checks derived from specs/ through
 * generated/. Nothing else in src/ imports from generated/ at run time (the dashboard names
 * generated types in JSDoc, for the type checker only).
 */
export type { ChannelKey, EventPayloads, RawFrame, SseFields, StreamEvent, StreamEventName } from './events.ts';
export { channels, checkEventPayload, isEventName, parseEvent, StreamEventNames } from './events.ts';
export type { IssueLocation, Parsed, ValidationIssue } from './issues.ts';
export { MAX_ISSUES, toIssues } from './issues.ts';
export type {
  BodyOf,
  HttpMethod,
  OperationId,
  OperationMatch,
  PathParamsOf,
  QueryOf,
  ResponseContract,
  ResponseOf,
  Schemas,
  StatusOf,
} from './rest.ts';
export {
  checkProblem,
  checkResponse,
  matchOperation,
  operations,
  parseBody,
  parsePathParams,
  parseQuery,
  responseContract,
} from './rest.ts';
export type {
  Configuration,
  ConfigurationInput,
  Cursor,
  Health,
  HistoryBucket,
  HistoryBucketSize,
  Item,
  ItemInput,
  Metrics,
  MetricsHistory,
  Problem,
  StreamToken,
  TickerAggregate,
} from './schemas.ts';
