/** The example page: REST once, the public stream twice (one connection), a configuration's stream. */
import { settings } from './config.ts';
import { Configurations } from './Configurations.tsx';
import { LatestItem, LiveFeed } from './LiveFeed.tsx';
import { Overview } from './Overview.tsx';

function App() {
  return (
    <main>
      <h1>tickerpulse, live</h1>
      <p>
        REST <code data-testid="rest-url">{settings.restUrl}</code>, streams{' '}
        <code data-testid="stream-url">{settings.streamUrl}</code>, user <code>{settings.userId}</code>
      </p>
      <Overview />
      <LatestItem />
      <LiveFeed />
      <Configurations />
    </main>
  );
}

export { App };
