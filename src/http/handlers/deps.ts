/** What the REST handlers depend on. */
import type { StreamTokens } from '../../auth/index.ts';
import type { Store } from '../../store/index.ts';

interface HandlerDeps {
  readonly store: Store;
  readonly streamTokens: StreamTokens;
  /** The running version, for /health. */
  readonly version: string;
  readonly now: () => number;
  /** Prometheus text of the service's metrics (GET /metrics). */
  readonly serviceMetrics: () => Promise<string>;
}

/** The authenticated user of a handler whose operation requires one. */
function userOf(principal: { kind: string; userId?: string }): string {
  if (principal.kind !== 'user' || principal.userId === undefined) throw new Error('operation requires a user');
  return principal.userId;
}

export type { HandlerDeps };
export { userOf };
