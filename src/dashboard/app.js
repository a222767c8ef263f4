// The tickerpulse operator dashboard: plain ES modules, no framework, no build step, served as is
// under a Content-Security-Policy of script-src 'self' (no inline code, no eval).
//
//   settings.js     defaults + window.TICKERPULSE_CONFIG (config.js)
//   contract.js     checks everything from the network field by field (typed by the generated types)
//   rest.js         the REST client
//   stream.js       one reconnecting SSE stream (backoff with jitter, resume, watchdog, fallback)
//   render.js       text-only rendering (textContent, never innerHTML)
//   global-view.js  snapshot + global stream, polling REST while the stream is down
//   history-view.js sentiment over time: selector, toggle, chart (chart.js, uPlot), text alternative
//   config-view.js  configurations and one configuration's stream

import { startConfigView } from './config-view.js';
import { startGlobalView } from './global-view.js';
import { startHistoryView } from './history-view.js';

startGlobalView(startHistoryView());
startConfigView();
