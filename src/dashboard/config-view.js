// The configuration view: a user's configurations, and one configuration's stream with its own
// list (`[data-testid="config-items"]`, so the global list keeps showing everything) and status.

import { storedToken, storeToken } from './auth.js';
import { TICKER, validConfiguration, validItem, validMetrics } from './contract.js';
import { $, createItemList, createStatus, el } from './render.js';
import { createConfiguration, listConfigurations, mintStreamToken, streamStatus } from './rest.js';
import { settings, streamUrl } from './settings.js';
import { createReconnectingStream } from './stream.js';

/** @typedef {import('./contract.js').ShownConfiguration} ShownConfiguration */
/** @typedef {import('./render.js').ItemList} ItemList */
/** @typedef {import('./stream.js').EventHandlers} EventHandlers */
/** @typedef {import('./stream.js').ReconnectingStream} ReconnectingStream */
/** @typedef {import('./stream.js').StreamOptions} StreamOptions */
/** Ends the configuration stream with a message the user has to see. @typedef {(text: string) => void} Fail */
/**
 * What the REST calls throw: RestError (with `status`), Error, or the DOMException of a timeout.
 * @typedef {Error & { status?: number }} Thrown
 */

const NOT_FOUND = 'This configuration does not exist or is not yours (404).';
// Statuses of a stream service that is busy, not refusing: 503 (ours, at capacity) and 429 (Lambda's
// throttle on the AWS deployment, answered before our handler runs). Both are retried with backoff.
const BUSY = new Set([429, 503]);

const userId = () => /** @type {HTMLInputElement} */ ($('user-id')).value.trim() || 'dev-user';
/** @param {string} text */
const configMessage = (text) => {
  $('config-message').textContent = text;
};

/** @param {string} text */
function showStreamError(text) {
  const node = $('stream-error');
  node.textContent = text;
  node.hidden = text === '';
}

/** The names entered, upper-cased, without blanks or duplicates. */
const enteredTickers = () => [
  ...new Set(
    /** @type {HTMLInputElement} */ ($('config-tickers')).value
      .split(',')
      .map((t) => t.trim().toUpperCase())
      .filter((t) => t !== ''),
  ),
];

/**
 * The list of a user's configurations and the form that creates one; `onOpen` opens a stream.
 * @param {(configId: string, name: string) => Promise<void>} onOpen
 */
function createConfigList(onOpen) {
  /** @param {ShownConfiguration} c */
  function configRow(c) {
    const li = el('li', 'config-row');
    li.dataset.configId = c.config_id;
    li.append(el('span', 'config-name', c.name), el('span', 'config-tickers', c.tickers.join(', ')));
    const button = el('button', '', 'Open stream');
    button.type = 'button';
    button.dataset.testid = 'open-config-stream';
    button.setAttribute('aria-label', `Open the stream of ${c.name}`);
    button.addEventListener('click', () => void onOpen(c.config_id, c.name));
    li.append(button);
    return li;
  }

  async function load() {
    try {
      const body = await listConfigurations(userId());
      const list = Array.isArray(body?.configurations) ? body.configurations : [];
      $('configurations').replaceChildren(
        ...list
          .map(validConfiguration)
          .filter((c) => c !== undefined)
          .map(configRow),
      );
      configMessage(list.length === 0 ? 'No configurations yet.' : `${list.length} configuration(s).`);
    } catch (error) {
      configMessage(`Could not load configurations: ${String(/** @type {Thrown} */ (error).message)}`);
    }
  }

  /** @param {SubmitEvent} event */
  async function create(event) {
    event.preventDefault();
    const name = /** @type {HTMLInputElement} */ ($('config-name')).value.trim();
    const tickers = enteredTickers();
    const bad = tickers.filter((t) => !TICKER.test(t));
    if (name === '' || tickers.length === 0 || bad.length > 0) {
      configMessage(bad.length > 0 ? `Not a ticker symbol: ${bad.join(', ')}` : 'Give a name and at least one ticker.');
      return;
    }
    try {
      await createConfiguration(userId(), { name, tickers });
      /** @type {HTMLFormElement} */ ($('create-form')).reset();
      await load();
      configMessage(`Created “${name}”.`);
    } catch (error) {
      configMessage(`Could not create: ${String(/** @type {Thrown} */ (error).message)}`);
    }
  }

  return { load, create };
}

/**
 * What a failed connection means: an EventSource hides the status of a refused stream, so ask
 * with HEAD. A 401 gets one fresh token (`remint`); 401 again, 404 and a lasting 503 or 429 `fail`
 * with a message. 429 is Lambda's own throttle (its body is not a problem, and it sends no
 * Retry-After): like 503, a busy service to retry with backoff. `isCurrent` is false once the
 * stream was closed or replaced meanwhile.
 * @param {{ remint: () => Promise<void>, fail: Fail, isCurrent: () => boolean }} parts
 * @returns {NonNullable<StreamOptions['diagnose']>}
 */
function diagnoser({ remint, fail, isCurrent }) {
  return async (attempt, url) => {
    const status = await streamStatus(url);
    if (!isCurrent()) return 'stop';
    if (status === 401 && attempt <= 1) {
      try {
        await remint();
        return 'now';
      } catch (error) {
        if (isCurrent()) fail(`Not authorised to open this stream (${String(/** @type {Thrown} */ (error).message)}).`);
        return 'stop';
      }
    }
    if (status === 401) fail('Not authorised to open this stream (401): the stream token was refused.');
    else if (status === 404) fail(NOT_FOUND);
    else if (BUSY.has(status) && attempt > settings.maxRetries)
      fail(`The stream service is at capacity or unavailable (${status}); try again later.`);
    else {
      if (BUSY.has(status)) showStreamError(`The stream service is busy (${status}); retrying…`);
      return 'retry';
    }
    return 'stop';
  };
}

/**
 * The payload handlers of a configuration stream.
 * @param {ItemList} items
 * @param {Fail} fail
 * @returns {EventHandlers}
 */
function configHandlers(items, fail) {
  return {
    stream_open: () => {
      showStreamError('');
    },
    new_item: (data) => {
      const item = validItem(data);
      if (item !== undefined) items.add(item);
    },
    metrics: (data) => {
      const m = validMetrics(data);
      if (m !== undefined) $('config-metric-total').textContent = String(m.total);
    },
    stream_closed: () => {
      fail('This configuration was deleted; its stream has ended.');
    },
  };
}

/** One configuration's stream at a time: its list, total, status and error message. */
function createConfigStream() {
  const items = createItemList($('config-items'));
  const setStatus = createStatus($('config-status'));
  /** @type {ReconnectingStream | undefined} */
  let stream;
  // The open() still minting its first token; a newer one, or a close, makes it moot.
  /** @type {object | undefined} */
  let pending;

  function close(state = 'Disconnected') {
    pending = undefined;
    stream?.close();
    stream = undefined;
    setStatus(state);
  }

  /** Closes the stream for a reason the user has to see. @type {Fail} */
  function fail(text) {
    close('Disconnected');
    showStreamError(text);
  }

  /** @param {string} configId @param {string} user @param {string} firstToken */
  function connect(configId, user, firstToken) {
    let token = firstToken;
    const path = `/api/v2/configurations/${encodeURIComponent(configId)}/stream`;
    const current = createReconnectingStream({
      url: (lastEventId) => {
        const query = new URLSearchParams({ token });
        if (lastEventId !== undefined) query.set('last_event_id', lastEventId);
        return streamUrl(`${path}?${query}`);
      },
      on: configHandlers(items, fail),
      // Only the state: the detail line belongs to the global status.
      onStatus: (state) => {
        setStatus(state);
      },
      // Twice the global view's patience: there is no polling to fall back on.
      maxRetries: settings.maxRetries * 2 + 1,
      onGiveUp: () => {
        fail('The stream keeps failing; closed. Open it again to retry.');
      },
      diagnose: diagnoser({
        remint: async () => {
          token = await mintStreamToken(user, configId);
        },
        fail,
        isCurrent: () => stream === current,
      }),
    });
    stream = current;
    current.open();
  }

  /** @param {string} configId @param {string} name */
  async function open(configId, name) {
    close('Connecting');
    const opening = {};
    pending = opening;
    $('config-stream').hidden = false;
    $('config-stream-name').textContent = name;
    $('config-metric-total').textContent = '–';
    showStreamError('');
    items.clear();
    const user = userId();
    let token;
    try {
      token = await mintStreamToken(user, configId);
    } catch (error) {
      if (pending === opening)
        fail(
          /** @type {Thrown} */ (error).status === 404
            ? NOT_FOUND
            : `Could not get a stream token: ${String(/** @type {Thrown} */ (error).message)}`,
        );
      return;
    }
    if (pending === opening) connect(configId, user, token);
  }

  return { open, close };
}

/**
 * The token field: filled from the session, kept there on every change (auth.js), and before the
 * user form's own submit handler runs (Enter in the field submits; call this before adding that).
 */
function startTokenField() {
  const field = /** @type {HTMLInputElement} */ ($('bearer-token'));
  field.value = storedToken();
  const keep = () => {
    field.value = storeToken(field.value);
    configMessage(field.value === '' ? 'No Bearer token: sending X-User-ID.' : 'Bearer token kept for this tab.');
  };
  field.addEventListener('change', keep);
  $('user-form').addEventListener('submit', keep);
}

function startConfigView() {
  startTokenField();
  const stream = createConfigStream();
  const list = createConfigList(stream.open);
  $('user-form').addEventListener('submit', (event) => {
    event.preventDefault();
    void list.load();
  });
  $('create-form').addEventListener('submit', (event) => void list.create(event));
  $('close-config-stream').addEventListener('click', () => {
    stream.close('Disconnected');
  });
  void list.load();
}

export { startConfigView };
