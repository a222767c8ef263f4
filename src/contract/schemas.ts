/** Named aliases of the contract's schemas, so handlers say `Item` rather than an index path. */
import type { TickerAggregate } from '../../generated/models/index.ts';
import type { components } from '../../generated/openapi/schema.d.ts';

type Schemas = components['schemas'];

type Configuration = Schemas['Configuration'];
type ConfigurationInput = Schemas['ConfigurationInput'];
type Cursor = Schemas['Cursor'];
type Health = Schemas['Health'];
type HistoryBucket = Schemas['HistoryBucket'];
type HistoryBucketSize = Schemas['HistoryBucketSize'];
type Item = Schemas['Item'];
type ItemInput = Schemas['ItemInput'];
type Metrics = Schemas['Metrics'];
type MetricsHistory = Schemas['MetricsHistory'];
type Problem = Schemas['Problem'];
type StreamToken = Schemas['StreamToken'];

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
};
