/**
 * Where the API and its streams are, and who the user is: set when the app is built (build.ts
 * passes them to esbuild as `define`; with Vite it would be `import.meta.env`). An empty URL means
 * this page's own origin, for a dev server that proxies `/api/` (serve.ts `--proxy`).
 */
interface ExampleSettings {
  /** Base URL of the REST API, e.g. `http://127.0.0.1:3000` (`npm start`) or `http://127.0.0.1:4010` (the mock). */
  readonly restUrl: string;
  /** Base URL of the two streams: the same as REST on the real server, `http://127.0.0.1:4011` with the mock. */
  readonly streamUrl: string;
  /** Sent as `X-User-ID` on REST calls (`npm start` trusts it; its dev user is `dev-user`). */
  readonly userId: string;
}

declare const TICKERPULSE_EXAMPLE: ExampleSettings;

const settings: ExampleSettings = {
  restUrl: TICKERPULSE_EXAMPLE.restUrl || location.origin,
  streamUrl: TICKERPULSE_EXAMPLE.streamUrl || location.origin,
  userId: TICKERPULSE_EXAMPLE.userId,
};

/** The public stream: every ticker. One URL string everywhere, so every component shares one connection. */
const GLOBAL_STREAM_URL = `${settings.streamUrl}/api/v2/stream`;

const configurationStreamUrl = (configId: string): string =>
  `${settings.streamUrl}/api/v2/configurations/${encodeURIComponent(configId)}/stream`;

export type { ExampleSettings };
export { configurationStreamUrl, GLOBAL_STREAM_URL, settings };
