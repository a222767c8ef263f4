/**
 * `npm run example`: builds the React example app and serves it on a loopback origin of its own,
 * calling the API at `--api` (and its streams at `--stream-api`) through CORS, or, with
 * `--proxy`, through this server. Runs until Ctrl-C or SIGTERM. README.md says how to use it
 * against `npm start` and `npm run mock`.
 */
import { defineCommand, integer, readCommandLine, type Rule, text } from '../../src/cli/usage.ts';
import { buildApp } from './build.ts';
import { startDevServer } from './dev-server.ts';

/** An `http://` origin on a loopback host: the API this example is meant to call. */
const loopbackOrigin: Rule<string> = {
  accepts: 'an http:// origin on localhost, 127.x.x.x or [::1], e.g. http://127.0.0.1:3000',
  parse: (value) => {
    try {
      const url = new URL(value);
      const loopback = ['localhost', '[::1]'].includes(url.hostname) || /^127(\.\d{1,3}){3}$/.test(url.hostname);
      return url.protocol === 'http:' && loopback && url.origin === value.replace(/\/$/, '') ? url.origin : undefined;
    } catch {
      return undefined;
    }
  },
};

const COMMAND = defineCommand({
  command: 'npm run example',
  summary:
    'Builds the React example app (examples/react-live: tickerpulse/client for REST, tickerpulse/react for both ' +
    'streams) with esbuild and serves it on http://127.0.0.1:<port>. The page calls the API directly, through ' +
    'CORS (npm start allows any loopback port by default), or with --proxy through this server. Runs until ' +
    'Ctrl-C or SIGTERM.',
  options: {
    api: {
      value: '<origin>',
      description: 'The REST API: npm start, or the mock (http://127.0.0.1:4010).',
      rule: loopbackOrigin,
      default: 'http://127.0.0.1:3000',
    },
    'stream-api': {
      value: '<origin>',
      description: 'Where the two streams are, when not at --api: the mock serves them on http://127.0.0.1:4011.',
      rule: loopbackOrigin,
    },
    user: {
      value: '<id>',
      description: 'Sent as X-User-ID on REST calls (npm start trusts it).',
      rule: text('a user id'),
      default: 'dev-user',
    },
    port: { value: '<port>', description: 'Port of the page.', rule: integer(0, 65_535), default: '5173' },
    proxy: {
      flag: true,
      description: 'Call /api/ on the page’s own origin and forward it to --api and --stream-api: no CORS involved.',
    },
  },
});

const options = readCommandLine(COMMAND);
const restTarget = options.api;
const streamTarget = options['stream-api'] ?? restTarget;
const app = await buildApp(
  options.proxy
    ? { restUrl: '', streamUrl: '', userId: options.user }
    : { restUrl: restTarget, streamUrl: streamTarget, userId: options.user },
);
const server = await startDevServer({
  app,
  host: '127.0.0.1',
  port: options.port,
  proxy: options.proxy ? { restTarget, streamTarget } : undefined,
});
const route = options.proxy ? `/api/ forwarded to ${restTarget} (streams: ${streamTarget})` : 'through CORS';
process.stdout.write(
  [
    '',
    `tickerpulse React example on ${server.url}/`,
    `  REST     ${restTarget}   streams ${streamTarget}   user ${options.user}`,
    `  calls    ${route}`,
    '',
  ].join('\n'),
);

for (const signal of ['SIGINT', 'SIGTERM'] as const) {
  process.once(signal, () => {
    void server.close().then(() => process.exit(0));
  });
}
