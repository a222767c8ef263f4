/**
 * Stands in for aws-lambda-ric's native addon (`rapid-client.node`), which the package ships as
 * C++ source only (src/native/rapid-client.cc over aws-lambda-cpp and curl, compiled by its
 * install scripts). test/support/ric-native-preload.ts points the runtime's
 * `require('./rapid-client.node')` here when no compiled addon is given.
 *
 * The addon has three functions, and the runtime's JavaScript calls them only here:
 * - `next()`: GET /invocation/next, unless AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true, which
 *   makes the package's own node:http code do it. The child runs with that set, so this one is
 *   never called.
 * - `done(id, json)`: POST /invocation/{id}/response of a *buffered* result (the REST function).
 * - `error(id, json, xrayCause)`: POST /invocation/{id}/error of a buffered handler's failure.
 * A streaming handler (the SSE function) calls none of them: its response, its error trailers
 * and the init error go through the package's node:http code.
 *
 * Like aws-lambda-cpp's `do_post`, done and error block the JavaScript thread until the Runtime
 * API has answered (curl_easy_perform on the main thread), so a result is always posted before
 * the next GET /next; a worker does the HTTP while this thread waits on an Atomics flag. The
 * headers are those the compiled addon sends (compared on loopback): accept, content-type
 * application/json, user-agent, content-length, and the X-Ray cause of an error.
 */
import { Worker } from 'node:worker_threads';

/** aws-lambda-cpp's CURLOPT_TIMEOUT is 0 (none); a test must still end. */
const POST_TIMEOUT_MS = 30_000;

const POSTER_SOURCE = `
const { parentPort } = require('node:worker_threads');
const { request } = require('node:http');
parentPort.on('message', ({ url, headers, body, flag }) => {
  const cell = new Int32Array(flag);
  const settle = (status) => { Atomics.store(cell, 0, status); Atomics.notify(cell, 0); };
  const req = request(url, { method: 'POST', headers }, (res) => {
    res.resume();
    res.on('end', () => settle(res.statusCode ?? -1));
  });
  req.on('error', () => settle(-1));
  req.end(body);
});`;

// Started when the runtime loads the addon, on its own thread, so that its start-up is not
// billed to the first result (the addon's is a dlopen). No execArgv: no preloads in there.
const poster = new Worker(POSTER_SOURCE, { eval: true, execArgv: [] });
poster.unref();

/** POSTs and waits, blocking this thread; the outcome is ignored, as the addon ignores it. */
function postBlocking(path: string, body: string, xrayCause: string): null {
  const flag = new SharedArrayBuffer(4);
  const headers: Record<string, string> = {
    accept: '*/*',
    'content-type': 'application/json',
    'user-agent': 'AWS_Lambda_Cpp/0.2.6',
    'content-length': String(Buffer.byteLength(body)),
  };
  // curl drops a header whose value is empty, so a success carries no cause.
  if (xrayCause !== '') headers['lambda-runtime-function-xray-error-cause'] = xrayCause;
  const url = `http://${process.env.AWS_LAMBDA_RUNTIME_API ?? ''}/2018-06-01/runtime/invocation/${path}`;
  poster.postMessage({ url, headers, body, flag });
  Atomics.wait(new Int32Array(flag), 0, 0, POST_TIMEOUT_MS);
  return null;
}

function next(): Promise<never> {
  return Promise.reject(
    new Error('the native next() stand-in is unused: run with AWS_LAMBDA_NODEJS_USE_ALTERNATIVE_CLIENT_1=true'),
  );
}

const done = (id: string, json: string): null => postBlocking(`${id}/response`, json, '');

const error = (id: string, json: string, xrayCause: string): null => postBlocking(`${id}/error`, json, xrayCause);

export { done, error, next };
