/** A stream's connection state and its last failure, as useStream() gives them. */
import type { StreamView } from 'tickerpulse/react';
import { describeError } from './describe-error.ts';

interface StreamStatusProps {
  readonly view: StreamView;
  /** Names the two lines for tests: `<testId>` holds the state alone, `<testId>-error` the failure. */
  readonly testId: string;
}

/** What a waiting or closed stream is waiting for, or why it stopped. */
function detail(state: StreamView['state']): string {
  if (state.state === 'waiting') return ` (retry in ${(state.delayMs / 1000).toFixed(1)} s after ${state.cause})`;
  if (state.state === 'closed') return ` (${state.reason})`;
  return '';
}

function StreamStatus({ view, testId }: StreamStatusProps) {
  return (
    <>
      <p className="status">
        stream: <span data-testid={testId}>{view.state.state}</span>
        {detail(view.state)}
      </p>
      {view.error === undefined ? null : (
        <p className="error" data-testid={`${testId}-error`}>
          {describeError(view.error)}
        </p>
      )}
    </>
  );
}

export { StreamStatus };
