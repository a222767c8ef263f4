/**
 * Prism's way of asking a mock for a given answer, honoured by the mock SSE server too:
 * `Prefer: code=401` (optionally `, example=<key>`), or, when no `Prefer` header is sent, the
 * query parameters `__code` and `__example` (what a browser's EventSource, which cannot set
 * headers, can send). Those `__` parameters are the mock's, not the API's: they are taken out of
 * the query before it is checked against the contract.
 *
 * The SSE mock adds its own preference in the same two forms, `scenario=<edge>` and
 * `__scenario=<edge>`: a stream that plays one of the edges the real server sends (SCENARIOS).
 */
import { clip } from './echo.ts';

/**
 * The edges a stream can be asked to play: `reconnect` (the server ends the stream on purpose and
 * says when to come back), `stream_closed` (a configuration's stream ends for good: it was
 * deleted) and `degraded` (the store is down: heartbeats say so, and nothing else arrives).
 */
const SCENARIOS = ['reconnect', 'stream_closed', 'degraded'] as const;
type Scenario = (typeof SCENARIOS)[number];

interface MockPreference {
  /** The status asked for; undefined: the normal answer. */
  readonly code?: number;
  /** The key of the response example asked for; undefined: the first. */
  readonly example?: string;
  /** The edge a stream is to play; undefined: a plain stream. */
  readonly scenario?: Scenario;
}

type PreferenceRead =
  { readonly ok: true; readonly value: MockPreference } | { readonly ok: false; readonly message: string };

/** Prism's query-string form of the preferences (it also knows `__dynamic` and `__seed`). */
const CONTROL_PARAMETERS = ['__code', '__example', '__dynamic', '__seed', '__scenario'] as const;

const isScenario = (value: string): value is Scenario => (SCENARIOS as readonly string[]).includes(value);

/** `a=1, b="x"; param` → { a: '1', b: 'x' } (parameters after `;` are ignored, as Prism does). */
function preferences(header: string): Map<string, string> {
  const found = new Map<string, string>();
  for (const part of header.split(',')) {
    const [token = ''] = part.split(';');
    const equals = token.indexOf('=');
    if (equals < 0) continue;
    const name = token.slice(0, equals).trim().toLowerCase();
    const value = token
      .slice(equals + 1)
      .trim()
      .replace(/^"(.*)"$/, '$1');
    if (name !== '' && !found.has(name)) found.set(name, value);
  }
  return found;
}

/** The preference of a request: its `Prefer` header, else the `__code`/`__example`/`__scenario` query parameters. */
function readPreference(header: string | string[] | undefined, query: URLSearchParams): PreferenceRead {
  const text = Array.isArray(header) ? header.join(', ') : header;
  const asked =
    text === undefined
      ? new Map([
          ['code', query.get('__code') ?? undefined],
          ['example', query.get('__example') ?? undefined],
          ['scenario', query.get('__scenario') ?? undefined],
        ])
      : preferences(text);
  const code = asked.get('code');
  const example = asked.get('example');
  const scenario = asked.get('scenario');
  if (code !== undefined && !/^\d{3}$/.test(code)) {
    return { ok: false, message: `code: "${clip(code, 20)}" is not a three-digit status` };
  }
  let played: Scenario | undefined;
  if (scenario !== undefined && scenario !== '') {
    if (!isScenario(scenario)) {
      return { ok: false, message: `scenario: "${clip(scenario)}" is not one of ${SCENARIOS.join(', ')}` };
    }
    played = scenario;
  }
  return {
    ok: true,
    value: {
      ...(code === undefined ? {} : { code: Number(code) }),
      ...(example === undefined || example === '' ? {} : { example }),
      ...(played === undefined ? {} : { scenario: played }),
    },
  };
}

/** The query without the mock's control parameters, repeated names as arrays (as express gives them). */
function apiQuery(query: URLSearchParams): Record<string, string | string[]> {
  const names = [...new Set(query.keys())].filter((name) => !(CONTROL_PARAMETERS as readonly string[]).includes(name));
  // fromEntries defines keys as data, so a parameter named `__proto__` stays an unknown parameter.
  return Object.fromEntries(
    names.map((name) => {
      const values = query.getAll(name);
      return [name, values.length === 1 ? (values[0] ?? '') : values];
    }),
  );
}

export type { MockPreference, PreferenceRead, Scenario };
export { apiQuery, readPreference, SCENARIOS };
