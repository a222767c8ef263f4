/**
 * Prism's way of asking a mock for a given answer, honoured by the mock SSE server too:
 * `Prefer: code=401` (optionally `, example=<key>`), or, when no `Prefer` header is sent, the
 * query parameters `__code` and `__example` (what a browser's EventSource, which cannot set
 * headers, can send). Those `__` parameters are the mock's, not the API's: they are taken out of
 * the query before it is checked against the contract.
 */

interface MockPreference {
  /** The status asked for; undefined: the normal answer. */
  readonly code?: number;
  /** The key of the response example asked for; undefined: the first. */
  readonly example?: string;
}

type PreferenceRead =
  { readonly ok: true; readonly value: MockPreference } | { readonly ok: false; readonly message: string };

/** Prism's query-string form of the preferences (it also knows `__dynamic` and `__seed`). */
const CONTROL_PARAMETERS = ['__code', '__example', '__dynamic', '__seed'] as const;

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

/** The preference of a request: its `Prefer` header, else Prism's `__code`/`__example` query parameters. */
function readPreference(header: string | string[] | undefined, query: URLSearchParams): PreferenceRead {
  const text = Array.isArray(header) ? header.join(', ') : header;
  const asked =
    text === undefined
      ? new Map([
          ['code', query.get('__code') ?? undefined],
          ['example', query.get('__example') ?? undefined],
        ])
      : preferences(text);
  const code = asked.get('code');
  const example = asked.get('example');
  if (code !== undefined && !/^\d{3}$/.test(code)) {
    return { ok: false, message: `code: "${code.slice(0, 20)}" is not a three-digit status` };
  }
  return {
    ok: true,
    value: {
      ...(code === undefined ? {} : { code: Number(code) }),
      ...(example === undefined || example === '' ? {} : { example }),
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

export type { MockPreference, PreferenceRead };
export { apiQuery, readPreference };
