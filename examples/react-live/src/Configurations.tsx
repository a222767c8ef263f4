/**
 * A configuration: created over REST, then followed on its own stream, opened with a stream token
 * (`?token=`, minted over REST before every connect: useStream's `token`). A token is short-lived
 * and good for this one configuration, so the user's own credential never sits in a long-lived
 * connection; it is also what a page using EventSource, which cannot send headers, must do.
 * (useStream could send the `X-User-ID` header instead, as `headers`.)
 */
import { useState } from 'react';
import { useStream } from 'tickerpulse/react';
import { createConfiguration, mintStreamToken } from './api.ts';
import { configurationStreamUrl } from './config.ts';
import { describeError } from './describe-error.ts';
import { ItemList } from './ItemList.tsx';
import { StreamStatus } from './StreamStatus.tsx';

interface Created {
  readonly config_id: string;
  readonly name: string;
  readonly tickers: readonly string[];
}

function ConfigurationStream({ configuration }: { readonly configuration: Created }) {
  const view = useStream(configurationStreamUrl(configuration.config_id), {
    token: () => mintStreamToken(configuration.config_id),
  });
  return (
    <>
      <p>
        <b data-testid="config-name">{configuration.name}</b> ({configuration.tickers.join(', ')}), id{' '}
        <code data-testid="config-id">{configuration.config_id}</code>
      </p>
      <StreamStatus view={view} testId="config-status" />
      <p>
        Its items in the last 24 h: <b data-testid="config-total">{view.latest.metrics?.total ?? '…'}</b>
      </p>
      <ItemList items={view.items} testId="config-items" />
    </>
  );
}

const tickersOf = (text: string): string[] =>
  text
    .split(/[\s,]+/)
    .map((ticker) => ticker.trim().toUpperCase())
    .filter((ticker) => ticker !== '');

function Configurations() {
  const [name, setName] = useState('Megacap tech');
  const [tickers, setTickers] = useState('AAPL, MSFT, NVDA');
  const [created, setCreated] = useState<Created | undefined>(undefined);
  const [error, setError] = useState<string | undefined>(undefined);

  const create = (): void => {
    createConfiguration(name, tickersOf(tickers)).then(
      (configuration) => {
        setError(undefined);
        setCreated(configuration);
      },
      (failed: unknown) => {
        setError(describeError(failed));
      },
    );
  };

  return (
    <section>
      <h2>A configuration and its stream</h2>
      <form
        onSubmit={(event) => {
          event.preventDefault();
          create();
        }}
      >
        <label>
          Name{' '}
          <input
            value={name}
            onChange={(event) => {
              setName(event.target.value);
            }}
            required
            data-testid="config-name-input"
          />
        </label>
        <label>
          Tickers{' '}
          <input
            value={tickers}
            onChange={(event) => {
              setTickers(event.target.value);
            }}
            required
            data-testid="config-tickers-input"
          />
        </label>
        <button type="submit" data-testid="config-create">
          Create
        </button>
      </form>
      {error === undefined ? null : (
        <p className="error" data-testid="config-error">
          {error}
        </p>
      )}
      {created === undefined ? null : <ConfigurationStream key={created.config_id} configuration={created} />}
    </section>
  );
}

export { Configurations };
