/**
 * The lean path may only take what node:http would take, and read it the same way: for generated
 * request heads (plain ones and ones with every kind of flaw), whenever recognizeRequestHead
 * accepts, Node's own parser (a real node:http server on loopback, fed the same bytes) accepts too,
 * with the same method, target and header values.
 */
import { createServer, type IncomingMessage, type Server } from 'node:http';
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { recognizeRequestHead } from '../../../src/http/request-head.ts';

type NodeVerdict = { readonly ok: true; readonly req: IncomingMessage } | { readonly ok: false };

let server: Server;
let port = 0;
const verdicts = new Map<string, (verdict: NodeVerdict) => void>();

beforeAll(async () => {
  server = createServer((req, res) => {
    verdicts.get(String(req.headers['x-probe']))?.({ ok: true, req });
    res.end();
  });
  server.on('clientError', (_error, socket) => {
    socket.destroy();
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as { port: number }).port;
});
afterAll(async () => {
  server.closeAllConnections();
  await new Promise((resolve) => server.close(resolve));
});

let probes = 0;

/** What node:http makes of `bytes` (tagged with an X-Probe header so answers cannot cross). */
function nodeVerdict(bytes: Buffer, probe: string): Promise<NodeVerdict> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    const done = (verdict: NodeVerdict) => {
      verdicts.delete(probe);
      socket.destroy();
      resolve(verdict);
    };
    verdicts.set(probe, done);
    socket.on('error', () => undefined);
    socket.on('close', () => {
      done({ ok: false });
    });
    socket.end(bytes);
  });
}

const NAMES = ['Host', 'Accept', 'Origin', 'Last-Event-ID', 'Authorization', 'X-A', 'x-a', 'Content-Length', 'Upgrade'];
const nameArb = fc.oneof(
  { weight: 6, arbitrary: fc.constantFrom(...NAMES) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', minLength: 0, maxLength: 6 }) },
);
/** Mostly plain, sometimes flawed: each head has a fair chance to be one the recognizer takes. */
const mostly = <T>(plain: T, ...flawed: T[]) =>
  fc.oneof({ weight: 12, arbitrary: fc.constant(plain) }, { weight: 1, arbitrary: fc.constantFrom(...flawed) });
const valueChar = fc.oneof(
  { weight: 40, arbitrary: fc.constantFrom('a', 'Z', '0', '/', '*', ',', ';', '=', '"', ' ', '\t') },
  { weight: 1, arbitrary: fc.constantFrom('\0', '\r', '\n', '\x7f', '\x80', '\xff', '\x0b', '\x0c', '\xa0') },
);
const valueArb = fc.array(valueChar, { maxLength: 12 }).map((chars) => chars.join(''));
const headerArb = fc.tuple(nameArb, mostly(': ', ':', ' :', ':\t'), valueArb, mostly('\r\n', '\n'));
const targetArb = fc.oneof(
  { weight: 3, arbitrary: fc.constant('/api/v2/stream') },
  fc.constantFrom('/api/v2/stream', '/api/v2/stream?last_event_id=1.a', '/', '*', 'http://h/x', '/a b', '/%00'),
  fc.string({ unit: 'binary-ascii', maxLength: 10 }).map((text) => `/${text}`),
);
const headArb = fc.record({
  method: mostly('GET', 'HEAD', 'get', 'POST'),
  target: targetArb,
  version: mostly('HTTP/1.1', 'HTTP/1.0', 'HTTP/2.0'),
  host: mostly(true, false),
  headers: fc.array(headerArb, { maxLength: 4 }),
});

describe('recognizeRequestHead against node:http', () => {
  it('accepts only heads Node accepts, and reads them as Node does', async () => {
    let accepted = 0;
    await fc.assert(
      fc.asyncProperty(headArb, async ({ method, target, version, host, headers }) => {
        const probe = `p${(probes += 1)}`;
        const lines = [`${method} ${target} ${version}\r\n`, `X-Probe: ${probe}\r\n`];
        if (host) lines.push('Host: h\r\n');
        for (const [name, separator, value, end] of headers) lines.push(`${name}${separator}${value}${end}`);
        const bytes = Buffer.from(`${lines.join('')}\r\n`, 'latin1');
        const recognized = recognizeRequestHead(bytes);
        if (recognized === undefined) return;
        accepted += 1;
        const node = await nodeVerdict(bytes, probe);
        expect(node.ok).toBe(true);
        if (!node.ok) return;
        expect(node.req.method).toBe(recognized.method);
        expect(node.req.url).toBe(recognized.target);
        expect(node.req.httpVersion).toBe('1.1');
        for (const [name, value] of Object.entries(recognized.headers)) expect(node.req.headers[name]).toBe(value);
        expect(Object.keys(node.req.headers).sort()).toEqual(Object.keys(recognized.headers).sort());
      }),
      { numRuns: 600 },
    );
    // The generator reaches the accepting side often enough for the property to say something.
    expect(accepted).toBeGreaterThan(60);
  });
});
