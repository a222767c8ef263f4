/**
 * The public stream, read by two components: LiveFeed and LatestItem both call useStream() with
 * the same URL, so the page holds one connection for both.
 */
import { useStream } from 'tickerpulse/react';
import { GLOBAL_STREAM_URL } from './config.ts';
import { ItemList } from './ItemList.tsx';
import { StreamStatus } from './StreamStatus.tsx';

function LiveFeed() {
  const view = useStream(GLOBAL_STREAM_URL);
  return (
    <section>
      <h2>Live feed (every ticker)</h2>
      <StreamStatus view={view} testId="global-status" />
      <p>
        Items in the last 24 h: <b data-testid="global-total">{view.latest.metrics?.total ?? '…'}</b>
      </p>
      <ItemList items={view.items} testId="global-items" />
    </section>
  );
}

function LatestItem() {
  const { latest } = useStream(GLOBAL_STREAM_URL);
  const item = latest.new_item;
  return (
    <p>
      Latest item:{' '}
      <b data-testid="latest-item">{item === undefined ? 'none yet' : `${item.ticker} ${item.sentiment}`}</b>
    </p>
  );
}

export { LatestItem, LiveFeed };
