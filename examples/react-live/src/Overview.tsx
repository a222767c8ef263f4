/** REST: the metrics and the latest items, read once when the page opens. */
import { useEffect, useState } from 'react';
import { type Item, loadOverview, type Metrics } from './api.ts';
import { describeError } from './describe-error.ts';
import { ItemList } from './ItemList.tsx';

type Loaded =
  | { readonly kind: 'loading' }
  | { readonly kind: 'loaded'; readonly metrics: Metrics; readonly items: readonly Item[] }
  | { readonly kind: 'failed'; readonly error: string };

function Overview() {
  const [loaded, setLoaded] = useState<Loaded>({ kind: 'loading' });
  useEffect(() => {
    // StrictMode runs this twice in development: the first answer is dropped, not shown twice.
    let current = true;
    loadOverview().then(
      ({ metrics, items }) => {
        if (current) setLoaded({ kind: 'loaded', metrics, items });
      },
      (error: unknown) => {
        if (current) setLoaded({ kind: 'failed', error: describeError(error) });
      },
    );
    return () => {
      current = false;
    };
  }, []);
  return (
    <section>
      <h2>Overview (REST)</h2>
      {loaded.kind === 'loading' ? <p>loading…</p> : null}
      {loaded.kind === 'failed' ? (
        <p className="error" data-testid="rest-error">
          {loaded.error}
        </p>
      ) : null}
      {loaded.kind === 'loaded' ? (
        <>
          <p>
            Items in the last 24 h: <b data-testid="rest-total">{loaded.metrics.total}</b>
          </p>
          <ItemList items={loaded.items} testId="rest-items" />
        </>
      ) : null}
    </section>
  );
}

export { Overview };
