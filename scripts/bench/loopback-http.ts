/**
 * The benchmark's few plain HTTP calls (publishing, scraping counters), each bounded in time and
 * refused unless it targets 127.0.0.0/8: the benchmark must never send traffic off the machine.
 */

/** Per request; loopback answers in milliseconds, so this only guards against a wedged server. */
const REQUEST_TIMEOUT_MS = 10_000;

const LOOPBACK = /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/;

/** Throws unless `url` is an http URL on a 127.0.0.0/8 address; returns it parsed. */
function loopbackUrl(url: string): URL {
  const parsed = new URL(url);
  if (parsed.protocol !== 'http:' || !LOOPBACK.test(parsed.hostname)) {
    throw new Error(`refusing non-loopback URL ${url}`);
  }
  return parsed;
}

/** POSTs `body` as JSON; throws on a non-2xx answer. */
async function postJson(url: string, body: unknown, headers: Record<string, string> = {}): Promise<void> {
  const response = await fetch(loopbackUrl(url), {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body: JSON.stringify(body),
    signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
  });
  const text = await response.text();
  if (!response.ok) throw new Error(`POST ${url}: ${response.status} ${text.slice(0, 200)}`);
}

/** GETs `url`; resolves to its status and body text. */
async function getText(url: string, headers: Record<string, string> = {}): Promise<{ status: number; text: string }> {
  const response = await fetch(loopbackUrl(url), { headers, signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) });
  return { status: response.status, text: await response.text() };
}

/**
 * Opens an SSE endpoint just long enough to read its answer's status and Content-Type, then
 * aborts, so a missing route is reported before N clients are thrown at it.
 */
async function probeStream(url: string): Promise<{ status: number; contentType: string }> {
  const abort = new AbortController();
  const timer = setTimeout(() => {
    abort.abort();
  }, REQUEST_TIMEOUT_MS);
  try {
    const response = await fetch(loopbackUrl(url), {
      headers: { accept: 'text/event-stream' },
      signal: abort.signal,
    });
    return { status: response.status, contentType: response.headers.get('content-type') ?? '' };
  } finally {
    clearTimeout(timer);
    abort.abort();
  }
}

export { getText, loopbackUrl, postJson, probeStream };
