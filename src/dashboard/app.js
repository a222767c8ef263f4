// The tickerpulse operator dashboard: plain ES module, no framework, no build step.
//
// Data flow: a first REST snapshot (items + metrics) gives a cursor; the global SSE stream is then
// opened with `?last_event_id=<cursor>` so it continues exactly where the snapshot ends. The page
// owns reconnection (a native EventSource gives up for good on any non-200 answer): on error the
// EventSource is closed and re-created with exponential backoff and full jitter, resuming from the
// last event id. After `maxRetries` failures it polls REST (`GET /api/v2/items?after=<cursor>` and
// `GET /api/v2/metrics`) and keeps trying the stream in the background.
//
// Everything from the network is checked field by field and rendered with textContent only.
/* global window, document, EventSource */

const settings = {
  restBaseUrl: '',
  streamBaseUrl: '',
  backoffBaseMs: 500,
  backoffCapMs: 10_000,
  maxRetries: 5,
  pollIntervalMs: 2000,
  backgroundRetryMs: 10_000,
  maxItems: 100,
  requestTimeoutMs: 5000,
  ...(typeof window.TICKERPULSE_CONFIG === 'object' && window.TICKERPULSE_CONFIG !== null
    ? window.TICKERPULSE_CONFIG
    : {}),
};
const restUrl = (path) => `${String(settings.restBaseUrl).replace(/\/$/, '')}${path}`;
const streamUrl = (path) => `${String(settings.streamBaseUrl).replace(/\/$/, '')}${path}`;

// ---------------------------------------------------------------------------------------------
// Validation: events with missing or garbage fields are skipped.

const CURSOR = /^[A-Za-z0-9._~-]{1,1024}$/;
const ITEM_ID = /^[A-Za-z0-9][A-Za-z0-9._:-]{0,127}$/;
const TICKER = /^[A-Z][A-Z0-9]{0,5}([.-][A-Z0-9]{1,3})?$/;
const SENTIMENTS = new Set(['positive', 'neutral', 'negative']);
const isCount = (v) => Number.isSafeInteger(v) && v >= 0;
const isText = (v, max) => typeof v === 'string' && v.length > 0 && v.length <= max;
const isTime = (v) => isText(v, 64) && !Number.isNaN(Date.parse(v));

function parseJson(text) {
  if (typeof text !== 'string' || text.length > 4_000_000) return undefined;
  try {
    const value = JSON.parse(text);
    return typeof value === 'object' && value !== null && !Array.isArray(value) ? value : undefined;
  } catch {
    return undefined;
  }
}

function validItem(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  if (!isText(v.item_id, 128) || !ITEM_ID.test(v.item_id) || !isText(v.ticker, 10) || !TICKER.test(v.ticker))
    return undefined;
  if (!SENTIMENTS.has(v.sentiment) || typeof v.score !== 'number' || !Number.isFinite(v.score)) return undefined;
  if (!isTime(v.timestamp)) return undefined;
  return {
    item_id: v.item_id,
    ticker: v.ticker,
    sentiment: v.sentiment,
    score: v.score,
    timestamp: v.timestamp,
    // Shown as text, cut to the contract's 64 characters.
    source: typeof v.source === 'string' && v.source.length > 0 ? v.source.slice(0, 64) : undefined,
  };
}

function validMetrics(v) {
  if (typeof v !== 'object' || v === null) return undefined;
  for (const key of ['total', 'positive', 'neutral', 'negative', 'rate_last_hour', 'rate_last_24h'])
    if (!isCount(v[key])) return undefined;
  if (typeof v.by_tag !== 'object' || v.by_tag === null || Array.isArray(v.by_tag)) return undefined;
  const byTag = [];
  for (const [ticker, count] of Object.entries(v.by_tag))
    if (TICKER.test(ticker) && isCount(count)) byTag.push([ticker, count]);
  return { ...v, by_tag: byTag, as_of: isTime(v.as_of) ? v.as_of : undefined };
}

function validAggregate(v) {
  if (typeof v !== 'object' || v === null || !isText(v.ticker, 10) || !TICKER.test(v.ticker)) return undefined;
  if (!isCount(v.total) || typeof v.average_score !== 'number' || !Number.isFinite(v.average_score)) return undefined;
  return { ticker: v.ticker, total: v.total, average_score: v.average_score };
}

// ---------------------------------------------------------------------------------------------
// Rendering (textContent only).

const $ = (id) => document.getElementById(id);
const el = (tag, className, text) => {
  const node = document.createElement(tag);
  if (className) node.className = className;
  if (text !== undefined) node.textContent = text;
  return node;
};
const formatTime = (iso) => {
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? '' : date.toLocaleTimeString([], { hour12: false });
};

/** A bounded list of items, newest first, without duplicates. */
function createItemList(listElement) {
  const seen = new Set();
  const render = (item) => {
    const li = el('li', `item ${item.sentiment}`);
    li.dataset.itemId = item.item_id;
    li.append(
      el('span', 'ticker', item.ticker),
      el('span', 'sentiment', item.sentiment),
      el('span', 'score', (item.score >= 0 ? '+' : '') + item.score.toFixed(2)),
    );
    const time = el('time', 'time', formatTime(item.timestamp));
    time.dateTime = item.timestamp;
    li.append(time);
    if (item.source !== undefined) li.append(el('span', 'source', item.source));
    return li;
  };
  return {
    /** Adds one item on top (newest). */
    add(item) {
      if (seen.has(item.item_id)) return false;
      seen.add(item.item_id);
      listElement.prepend(render(item));
      while (listElement.children.length > settings.maxItems) {
        const last = listElement.lastElementChild;
        seen.delete(last.dataset.itemId);
        last.remove();
      }
      return true;
    },
    /** Replaces the list with `items` (newest first). */
    replace(items) {
      seen.clear();
      listElement.replaceChildren();
      for (const item of [...items].reverse()) this.add(item);
    },
    clear() {
      seen.clear();
      listElement.replaceChildren();
    },
  };
}

const items = createItemList($('items'));
const configItems = createItemList($('config-items'));
const averages = new Map();
let lastMetrics;

function renderMetrics(m) {
  lastMetrics = m;
  $('metric-total').textContent = String(m.total);
  $('metric-positive').textContent = String(m.positive);
  $('metric-neutral').textContent = String(m.neutral);
  $('metric-negative').textContent = String(m.negative);
  $('metric-rate-hour').textContent = String(m.rate_last_hour);
  $('metric-rate-24h').textContent = String(m.rate_last_24h);
  const asOf = $('metric-as-of');
  asOf.textContent = m.as_of ? formatTime(m.as_of) : '–';
  if (m.as_of) asOf.dateTime = m.as_of;
  renderTickers();
}

function renderTickers() {
  const list = $('tickers');
  if (lastMetrics === undefined) return;
  const rows = [...lastMetrics.by_tag].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, 30);
  const max = Math.max(1, ...rows.map((r) => r[1]));
  list.replaceChildren(
    ...rows.map(([ticker, count]) => {
      const li = el('li', 'ticker-row');
      li.dataset.ticker = ticker;
      const average = averages.get(ticker);
      const label = el('span', 'ticker-label', ticker);
      const bar = el('span', 'bar');
      bar.setAttribute('role', 'img');
      bar.setAttribute('aria-label', `${ticker}: ${count} items`);
      const fill = el('span', 'bar-fill');
      fill.style.width = `${Math.round((count / max) * 100)}%`;
      bar.append(fill);
      const value = el(
        'span',
        'ticker-count',
        average === undefined ? String(count) : `${count} · avg ${average.toFixed(2)}`,
      );
      li.append(label, bar, value);
      return li;
    }),
  );
}

const STATES = ['Connecting', 'Connected', 'Reconnecting', 'Polling', 'Disconnected'];
function setStatus(node, state, detail) {
  if (!STATES.includes(state)) return;
  if (node.textContent !== state) node.textContent = state;
  node.dataset.state = state.toLowerCase();
  if (node === $('connection-status')) $('connection-detail').textContent = detail ?? '';
}

// ---------------------------------------------------------------------------------------------
// REST

async function getJson(path, init = {}) {
  const response = await fetch(restUrl(path), {
    // A hung request must not hold up the page (the first snapshot gates opening the stream).
    signal: AbortSignal.timeout(settings.requestTimeoutMs),
    ...init,
    headers: { accept: 'application/json', ...init.headers },
  });
  const body = parseJson(await response.text());
  if (!response.ok) {
    const title =
      body && typeof body.detail === 'string' ? body.detail : body && typeof body.title === 'string' ? body.title : '';
    const error = new Error(`${response.status} ${title}`.trim());
    error.status = response.status;
    throw error;
  }
  return body;
}

function takePage(body) {
  if (!body || !Array.isArray(body.items)) return undefined;
  return {
    items: body.items.map(validItem).filter((i) => i !== undefined),
    count: body.items.length,
    cursor: typeof body.cursor === 'string' && CURSOR.test(body.cursor) ? body.cursor : undefined,
  };
}

// ---------------------------------------------------------------------------------------------
// The global stream and its polling fallback.

const statusNode = $('connection-status');
let lastEventId;
let source;
let failures = 0;
let retryTimer;
let watchdog;
let polling = false;
let pollTimer;
let pollGeneration = 0;

const backoff = (attempt) =>
  Math.random() * Math.min(settings.backoffCapMs, settings.backoffBaseMs * 2 ** Math.max(0, attempt - 1));

function rememberId(event) {
  if (typeof event.lastEventId === 'string' && CURSOR.test(event.lastEventId)) lastEventId = event.lastEventId;
}

function onGlobalEvent(name, handler) {
  return (event) => {
    rememberId(event);
    armWatchdog();
    const data = parseJson(event.data);
    if (data !== undefined) handler(data);
  };
}

let heartbeatMs = 30_000;
function armWatchdog() {
  clearTimeout(watchdog);
  // No event at all for 3 heartbeat intervals: the connection is dead even if TCP says otherwise.
  watchdog = setTimeout(() => {
    if (source !== undefined) streamFailed();
  }, heartbeatMs * 3);
}

function openGlobalStream() {
  clearTimeout(retryTimer);
  source?.close();
  const query = lastEventId === undefined ? '' : `?${new URLSearchParams({ last_event_id: lastEventId })}`;
  const es = new EventSource(streamUrl(`/api/v2/stream${query}`));
  source = es;
  const on = (name, handler) => {
    es.addEventListener(name, (event) => {
      if (source === es) onGlobalEvent(name, handler)(event);
    });
  };
  on('stream_open', (data) => {
    if (Number.isSafeInteger(data.heartbeat_interval_ms) && data.heartbeat_interval_ms >= 1000)
      heartbeatMs = data.heartbeat_interval_ms;
    armWatchdog();
    failures = 0;
    stopPolling();
    setStatus(statusNode, 'Connected', '');
    // The cursor was unknown or expired: what the list shows may have gaps, so reload it.
    if (data.outcome === 'reset') void reloadItems();
  });
  on('metrics', (data) => {
    const m = validMetrics(data);
    if (m !== undefined) renderMetrics(m);
  });
  on('new_item', (data) => {
    const item = validItem(data);
    if (item !== undefined) items.add(item);
  });
  on('sentiment_update', (data) => {
    const a = validAggregate(data);
    if (a === undefined) return;
    averages.set(a.ticker, a.average_score);
    renderTickers();
  });
  on('heartbeat', () => {});
  on('reconnect', (data) => {
    // The server ends this stream on purpose (deadline, shutdown, …): nothing is lost. Reconnect
    // after the delay it asks for, from the last event id, without counting it as a failure.
    const wait = Number.isSafeInteger(data.retry_ms) && data.retry_ms >= 0 ? data.retry_ms : settings.backoffBaseMs;
    clearTimeout(watchdog);
    es.close();
    source = undefined;
    if (polling) {
      retryTimer = setTimeout(openGlobalStream, settings.backgroundRetryMs);
      return;
    }
    setStatus(statusNode, 'Reconnecting', 'the server asked to reconnect');
    retryTimer = setTimeout(openGlobalStream, Math.min(wait, settings.backoffCapMs));
  });
  es.addEventListener('error', () => {
    if (source === es) streamFailed();
  });
}

function streamFailed() {
  clearTimeout(watchdog);
  source?.close();
  source = undefined;
  failures += 1;
  if (failures >= settings.maxRetries || polling) {
    startPolling();
    retryTimer = setTimeout(openGlobalStream, settings.backgroundRetryMs);
    return;
  }
  const delay = backoff(failures);
  setStatus(statusNode, 'Reconnecting', `attempt ${failures} of ${settings.maxRetries}`);
  retryTimer = setTimeout(openGlobalStream, delay);
}

function startPolling() {
  if (polling) return;
  polling = true;
  pollGeneration += 1;
  setStatus(statusNode, 'Polling', `every ${Math.round(settings.pollIntervalMs / 100) / 10} s`);
  void pollOnce(pollGeneration);
}

function stopPolling() {
  polling = false;
  pollGeneration += 1;
  clearTimeout(pollTimer);
}

async function pollOnce(generation) {
  try {
    if (lastEventId === undefined) {
      const page = takePage(await getJson('/api/v2/items?limit=50'));
      if (generation !== pollGeneration) return;
      if (page !== undefined) {
        items.replace(page.items);
        lastEventId = page.cursor ?? lastEventId;
      }
    } else {
      // Follow the cursor until an answer is not full.
      for (let round = 0; round < 10; round += 1) {
        const page = takePage(
          await getJson(`/api/v2/items?${new URLSearchParams({ after: lastEventId, limit: '100' })}`),
        );
        if (generation !== pollGeneration || page === undefined) return;
        for (const item of [...page.items].reverse()) items.add(item);
        if (page.cursor !== undefined) lastEventId = page.cursor;
        if (page.count < 100) break;
      }
    }
    const m = validMetrics(await getJson('/api/v2/metrics'));
    if (generation !== pollGeneration) return;
    if (m !== undefined) renderMetrics(m);
    setStatus(statusNode, 'Polling', `every ${Math.round(settings.pollIntervalMs / 100) / 10} s`);
  } catch (error) {
    if (generation === pollGeneration) setStatus(statusNode, 'Polling', `REST failed (${String(error.message)})`);
  } finally {
    if (generation === pollGeneration) pollTimer = setTimeout(() => void pollOnce(generation), settings.pollIntervalMs);
  }
}

async function reloadItems() {
  try {
    const page = takePage(await getJson('/api/v2/items?limit=50'));
    if (page !== undefined) {
      // Items that arrived on the stream meanwhile are newer than the snapshot: keep them on top.
      const live = [...$('items').children].map((li) => li.dataset.itemId);
      const known = new Set(page.items.map((i) => i.item_id));
      if (live.every((id) => known.has(id))) items.replace(page.items);
      else for (const item of [...page.items].reverse()) items.add(item);
    }
  } catch {
    // The stream keeps the list going; the next reset tries again.
  }
}

async function start() {
  setStatus(statusNode, 'Connecting', '');
  try {
    const [page, metrics] = await Promise.all([getJson('/api/v2/items?limit=50'), getJson('/api/v2/metrics')]);
    const p = takePage(page);
    if (p !== undefined) {
      items.replace(p.items);
      lastEventId = p.cursor;
    }
    const m = validMetrics(metrics);
    if (m !== undefined) renderMetrics(m);
  } catch {
    // The stream sends a metrics snapshot on connect anyway.
  }
  openGlobalStream();
}

// ---------------------------------------------------------------------------------------------
// Configuration view: a user's configurations and one configuration's stream (its own list
// `[data-testid="config-items"]`, so the global list keeps showing everything).

const configStatus = $('config-status');
const userId = () => $('user-id').value.trim() || 'dev-user';
const userHeaders = () => ({ 'x-user-id': userId() });
const configMessage = (text) => {
  $('config-message').textContent = text;
};
let configSource;
let configRetry;
let configSession = 0;

async function loadConfigurations() {
  try {
    const body = await getJson('/api/v2/configurations', { headers: userHeaders() });
    const list = Array.isArray(body?.configurations) ? body.configurations : [];
    $('configurations').replaceChildren(
      ...list
        .filter((c) => isText(c?.config_id, 64) && isText(c?.name, 100) && Array.isArray(c?.tickers))
        .map((c) => {
          const li = el('li', 'config-row');
          li.dataset.configId = c.config_id;
          const tickers = c.tickers.filter((t) => typeof t === 'string' && TICKER.test(t));
          li.append(el('span', 'config-name', c.name), el('span', 'config-tickers', tickers.join(', ')));
          const button = el('button', '', 'Open stream');
          button.type = 'button';
          button.dataset.testid = 'open-config-stream';
          button.setAttribute('aria-label', `Open the stream of ${c.name}`);
          button.addEventListener('click', () => void openConfigStream(c.config_id, c.name));
          li.append(button);
          return li;
        }),
    );
    configMessage(list.length === 0 ? 'No configurations yet.' : `${list.length} configuration(s).`);
  } catch (error) {
    configMessage(`Could not load configurations: ${String(error.message)}`);
  }
}

async function createConfiguration(event) {
  event.preventDefault();
  const name = $('config-name').value.trim();
  const tickers = [
    ...new Set(
      $('config-tickers')
        .value.split(',')
        .map((t) => t.trim().toUpperCase())
        .filter((t) => t !== ''),
    ),
  ];
  const bad = tickers.filter((t) => !TICKER.test(t));
  if (name === '' || tickers.length === 0 || bad.length > 0) {
    configMessage(bad.length > 0 ? `Not a ticker symbol: ${bad.join(', ')}` : 'Give a name and at least one ticker.');
    return;
  }
  try {
    await getJson('/api/v2/configurations', {
      method: 'POST',
      headers: { ...userHeaders(), 'content-type': 'application/json' },
      body: JSON.stringify({ name, tickers }),
    });
    $('create-form').reset();
    await loadConfigurations();
    configMessage(`Created “${name}”.`);
  } catch (error) {
    configMessage(`Could not create: ${String(error.message)}`);
  }
}

function showStreamError(text) {
  const node = $('stream-error');
  node.textContent = text;
  node.hidden = text === '';
}

function closeConfigStream(state = 'Disconnected') {
  configSession += 1;
  clearTimeout(configRetry);
  configSource?.close();
  configSource = undefined;
  setStatus(configStatus, state);
}

async function openConfigStream(configId, name) {
  closeConfigStream('Connecting');
  const session = configSession;
  $('config-stream').hidden = false;
  $('config-stream-name').textContent = name;
  $('config-metric-total').textContent = '–';
  showStreamError('');
  configItems.clear();
  let lastId;
  let attempts = 0;
  let token;
  const mint = async () => {
    const body = await getJson(`/api/v2/configurations/${encodeURIComponent(configId)}/stream-token`, {
      method: 'POST',
      headers: userHeaders(),
    });
    if (!body || typeof body.token !== 'string') throw new Error('no token in the answer');
    token = body.token;
  };
  const url = () => {
    const query = new URLSearchParams({ token });
    if (lastId !== undefined) query.set('last_event_id', lastId);
    return streamUrl(`/api/v2/configurations/${encodeURIComponent(configId)}/stream?${query}`);
  };
  const fail = (text) => {
    closeConfigStream('Disconnected');
    showStreamError(text);
  };
  const connect = () => {
    if (session !== configSession) return;
    const es = new EventSource(url());
    configSource = es;
    const on = (eventName, handler) =>
      es.addEventListener(eventName, (event) => {
        if (session !== configSession) return;
        if (typeof event.lastEventId === 'string' && CURSOR.test(event.lastEventId)) lastId = event.lastEventId;
        const data = parseJson(event.data);
        if (data !== undefined) handler(data);
      });
    on('stream_open', () => {
      attempts = 0;
      showStreamError('');
      setStatus(configStatus, 'Connected');
    });
    on('new_item', (data) => {
      const item = validItem(data);
      if (item !== undefined) configItems.add(item);
    });
    on('metrics', (data) => {
      const m = validMetrics(data);
      if (m !== undefined) $('config-metric-total').textContent = String(m.total);
    });
    on('stream_closed', () => {
      fail('This configuration was deleted; its stream has ended.');
    });
    es.addEventListener('error', () => {
      if (session !== configSession) return;
      es.close();
      configSource = undefined;
      setStatus(configStatus, 'Reconnecting');
      void diagnose();
    });
  };
  // EventSource hides the status of a refused stream: ask with HEAD (same checks, no stream).
  const diagnose = async () => {
    let status = 0;
    try {
      const response = await fetch(url(), { method: 'HEAD', headers: { accept: 'text/event-stream' } });
      status = response.status;
    } catch {
      // Unreachable: retried below like any other failure.
    }
    if (session !== configSession) return;
    attempts += 1;
    if (status === 401 && attempts <= 1) {
      try {
        await mint();
      } catch (error) {
        fail(`Not authorised to open this stream (${String(error.message)}).`);
        return;
      }
      connect();
      return;
    }
    if (status === 401) return fail('Not authorised to open this stream (401): the stream token was refused.');
    if (status === 404) return fail('This configuration does not exist or is not yours (404).');
    if (status === 503 && attempts > settings.maxRetries)
      return fail('The stream service is at capacity or unavailable (503); try again later.');
    if (status === 503) showStreamError('The stream service is busy (503); retrying…');
    if (attempts > settings.maxRetries * 2) return fail('The stream keeps failing; closed. Open it again to retry.');
    configRetry = setTimeout(connect, backoff(Math.min(attempts, 6)));
  };
  try {
    await mint();
  } catch (error) {
    if (session === configSession)
      fail(
        error.status === 404
          ? 'This configuration does not exist or is not yours (404).'
          : `Could not get a stream token: ${String(error.message)}`,
      );
    return;
  }
  connect();
}

$('user-form').addEventListener('submit', (event) => {
  event.preventDefault();
  void loadConfigurations();
});
$('create-form').addEventListener('submit', (event) => void createConfiguration(event));
$('close-config-stream').addEventListener('click', () => {
  closeConfigStream('Disconnected');
});

void start();
void loadConfigurations();
