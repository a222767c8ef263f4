/**
 * `npm run mock` and `npm run docs`, exercised through the functions the scripts use.
 *
 * Mock: the SSE server runs in-process on a free port and is read the way a browser reads it
 * (fetch + eventsource-parser); every frame must pass the AsyncAPI contract of its channel. Prism
 * runs as a child on a free port and must serve the spec's example.
 * Docs: one real build into a temp dir (about 10 s and 1 GB for the AsyncAPI generator), then the
 * offline check, which must also catch a planted CDN script.
 */
import { createParser } from 'eventsource-parser';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parse } from 'yaml';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildDocs, type DocsBuild } from '../../scripts/docs/build.ts';
import { inlineMarkdownToHtml, readOverview } from '../../scripts/docs/index-page.ts';
import { fixAsyncApiLayout } from '../../scripts/docs/page-fixes.ts';
import { withoutTraitTags } from '../../scripts/docs/staged-spec.ts';
import { assertNoRemoteResources, findRemoteResources, RemoteResourceError } from '../../scripts/docs/remote-check.ts';
import { startPrismMock } from '../../scripts/mock/prism.ts';
import { type MockSseServer, startMockSseServer } from '../../scripts/mock/sse-server.ts';
import { type ChannelKey, parseEvent, type RawFrame } from '../../src/contract/index.ts';
import { freePort } from '../support/free-port.ts';

const root = resolve(import.meta.dirname, '../..');

interface StreamRead {
  readonly status: number;
  readonly headers: Headers;
  readonly frames: RawFrame[];
  readonly retries: number[];
}

/** Reads `url` as an event stream for `ms`, then disconnects. */
async function readStream(url: string, ms: number, headers: Record<string, string> = {}): Promise<StreamRead> {
  const controller = new AbortController();
  const timer = setTimeout(() => {
    controller.abort();
  }, ms);
  const frames: RawFrame[] = [];
  const retries: number[] = [];
  const parser = createParser({
    onEvent: (message) => frames.push({ event: message.event ?? 'message', id: message.id, data: message.data }),
    onRetry: (retry) => retries.push(retry),
  });
  const response = await fetch(url, {
    headers: { accept: 'text/event-stream', ...headers },
    signal: controller.signal,
  });
  const decoder = new TextDecoder();
  try {
    // fetch types its body loosely; a byte stream is what an HTTP response carries.
    const reader = (response.body as ReadableStream<Uint8Array> | null)?.getReader();
    for (;;) {
      if (reader === undefined) break;
      const { done, value } = await reader.read();
      if (done) break;
      parser.feed(decoder.decode(value, { stream: true }));
    }
  } catch (error) {
    if (!controller.signal.aborted) throw error;
  } finally {
    clearTimeout(timer);
  }
  return { status: response.status, headers: response.headers, frames, retries };
}

/** Every frame that fails the contract of `channel`, with its issues. */
const violations = (frames: readonly RawFrame[], channel: ChannelKey): string[] =>
  frames.flatMap((frame) => {
    const parsed = parseEvent(frame, channel);
    return parsed.ok ? [] : [`${frame.event} ${frame.id ?? ''}: ${JSON.stringify(parsed.issues)}`];
  });

describe('npm run mock: the SSE server', () => {
  let server: MockSseServer;

  beforeAll(async () => {
    server = await startMockSseServer({ port: 0, intervalMs: 200, heartbeatMs: 1000 });
  });
  afterAll(async () => {
    await server.close();
  });

  it('streams contract-valid events on the global channel: retry, stream_open, metrics, then live items', async () => {
    const read = await readStream(`${server.url}/api/v2/stream`, 2500);

    expect(read.status).toBe(200);
    expect(read.headers.get('content-type')).toBe('text/event-stream; charset=utf-8');
    expect(read.headers.get('cache-control')).toBe('no-cache, no-transform');
    expect(read.headers.get('x-accel-buffering')).toBe('no');
    expect(read.headers.get('access-control-allow-origin')).toBe('*');
    expect(read.retries[0]).toBe(3000);
    expect(read.frames.slice(0, 2).map((frame) => frame.event)).toEqual(['stream_open', 'metrics']);
    expect(JSON.parse(read.frames[0]?.data ?? '{}')).toMatchObject({ outcome: 'fresh', retry_ms: 3000 });
    expect(violations(read.frames, 'globalStream')).toEqual([]);

    const items = read.frames.filter((frame) => frame.event === 'new_item');
    expect(items.length).toBeGreaterThanOrEqual(3);
    expect(new Set(items.map((frame) => frame.id)).size).toBe(items.length);
    const payloads = items.map((frame) => JSON.parse(frame.data) as { item_id: string; ticker: string });
    expect(new Set(payloads.map((item) => item.item_id)).size).toBe(items.length);
    expect(payloads.every((item) => /^mock-\d+$/.test(item.item_id))).toBe(true);
    expect(new Set(payloads.map((item) => item.ticker)).size).toBeGreaterThan(1);
    expect(items.every((frame) => /^1\.[0-9a-z]+$/.test(frame.id ?? ''))).toBe(true);
    const events = new Set(read.frames.map((frame) => frame.event));
    for (const name of ['sentiment_update', 'heartbeat']) expect(events).toContain(name);
  });

  it('serves the configuration channel and answers a Last-Event-ID with a reset', async () => {
    const read = await readStream(
      `${server.url}/api/v2/configurations/7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23/stream`,
      700,
      // Credentials are checked for presence only (as Prism checks them); none is a 401.
      { 'last-event-id': '1.mhx3k9q0', 'x-user-id': 'mock-user' },
    );
    expect(read.status).toBe(200);
    expect(JSON.parse(read.frames[0]?.data ?? '{}')).toMatchObject({ outcome: 'reset' });
    expect(read.frames.some((frame) => frame.event === 'new_item')).toBe(true);
    expect(violations(read.frames, 'configurationStream')).toEqual([]);
  });

  it('answers CORS preflights and refuses unknown paths with a problem', async () => {
    const preflight = await fetch(`${server.url}/api/v2/stream`, {
      method: 'OPTIONS',
      headers: { origin: 'http://127.0.0.1:8080', 'access-control-request-headers': 'last-event-id' },
    });
    expect(preflight.status).toBe(204);
    expect(preflight.headers.get('access-control-allow-origin')).toBe('*');
    expect(preflight.headers.get('access-control-allow-headers')).toContain('Last-Event-ID');

    const missing = await fetch(`${server.url}/api/v2/items`);
    expect(missing.status).toBe(404);
    expect(missing.headers.get('content-type')).toBe('application/problem+json');
    await missing.body?.cancel();
  });
});

describe('npm run mock: contract drift', () => {
  it('refuses to start from an AsyncAPI example that breaks its schema', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tickerpulse-mock-'));
    try {
      const spec = readFileSync(join(root, 'specs/asyncapi.yaml'), 'utf8');
      const broken = spec.replace(
        /item_id: reuters-2026-11-21-aapl-0042\n(\s+)ticker: AAPL/,
        'item_id: reuters-2026-11-21-aapl-0042\n$1ticker: aapl',
      );
      expect(broken).not.toBe(spec);
      writeFileSync(join(dir, 'asyncapi.yaml'), broken);
      await expect(startMockSseServer({ port: 0, specPath: join(dir, 'asyncapi.yaml') })).rejects.toThrow(
        /new_item example .* breaks its schema/,
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('npm run mock: Prism', () => {
  it('mocks GET /api/v2/metrics with the OpenAPI example', async () => {
    const spec = parse(readFileSync(join(root, 'specs/openapi.yaml'), 'utf8')) as {
      paths: Record<
        string,
        {
          get: {
            responses: Record<string, { content: Record<string, { examples: Record<string, { value: unknown }> }> }>;
          };
        }
      >;
    };
    const examples = spec.paths['/api/v2/metrics']?.get.responses['200']?.content['application/json']?.examples ?? {};
    const expected = Object.values(examples)[0]?.value;
    expect(expected).toBeDefined();

    const prism = await startPrismMock({ port: await freePort() });
    try {
      const response = await fetch(`${prism.url}/api/v2/metrics`);
      expect(response.status).toBe(200);
      expect(response.headers.get('content-type')).toMatch(/^application\/json/);
      expect(await response.json()).toEqual(expected);
    } finally {
      await prism.close();
    }
  }, 60_000);
});

describe('npm run docs', () => {
  it('takes the README overview paragraph and renders code spans as escaped HTML', () => {
    const readme = '# tickerpulse\n\nA <b>fast</b> API over `a<b>` and **SSE**,\nwrapped.\n\n## Next\n';
    expect(readOverview(readme)).toBe('A <b>fast</b> API over `a<b>` and **SSE**, wrapped.');
    expect(inlineMarkdownToHtml(readOverview(readme))).toBe(
      'A &lt;b&gt;fast&lt;/b&gt; API over <code>a&lt;b&gt;</code> and <strong>SSE</strong>, wrapped.',
    );
  });

  it('renders trait tags as ordinary ones, so that Redoc lists the operations they mark', () => {
    const spec = 'tags:\n  - name: sse\n    x-traitTag: true\n    description: Marks two.\n  - name: items\n';
    const staged = withoutTraitTags(spec, 'spec.yaml');
    expect(staged.tags).toEqual(['sse']);
    expect(parse(staged.text)).toEqual({ tags: [{ name: 'sse', description: 'Marks two.' }, { name: 'items' }] });
  });

  it('moves the AsyncAPI layout switch to 1024 px, and stops the build if the template no longer has it', () => {
    expect(fixAsyncApiLayout('a(function(){var e=t<=1536?"container:xl":"container:base"})', 'ui.js')).toBe(
      'a(function(){var e=t<1024?"container:xl":"container:base"})',
    );
    expect(() => fixAsyncApiLayout('var e=t<=1280?"wide":"narrow"', 'ui.js')).toThrow(/layout switch/);
  });

  let outDir: string;
  let build: DocsBuild;

  beforeAll(async () => {
    outDir = mkdtempSync(join(tmpdir(), 'tickerpulse-docs-'));
    build = await buildDocs(outDir);
  }, 180_000);
  afterAll(() => {
    rmSync(outDir, { recursive: true, force: true });
  });

  it('builds both references and an index that links them with the README overview', () => {
    for (const file of ['openapi.html', 'asyncapi/index.html', 'index.html']) {
      expect(existsSync(join(outDir, file)), file).toBe(true);
    }
    expect(build.files.map((file) => file.path)).toEqual(
      expect.arrayContaining(['index.html', 'openapi.html', 'asyncapi/index.html', 'asyncapi/js/app.js']),
    );
    const index = readFileSync(join(outDir, 'index.html'), 'utf8');
    expect(index).toContain('href="openapi.html"');
    expect(index).toContain('href="asyncapi/index.html"');
    expect(index).toContain(inlineMarkdownToHtml(readOverview(readFileSync(join(root, 'README.md'), 'utf8'))));
    const version = (parse(readFileSync(join(root, 'specs/openapi.yaml'), 'utf8')) as { info: { version: string } })
      .info.version;
    expect(index).toContain(`API version <strong>${version}</strong>`);
    // The schemas in specs/schemas/ are resolved into the AsyncAPI page, not left as file refs.
    expect(readFileSync(join(outDir, 'asyncapi/js/app.js'), 'utf8')).not.toMatch(/"\$ref"\s*:\s*"\.\//);
  });

  it('loads nothing from other hosts, and the check catches a planted CDN script', () => {
    expect(findRemoteResources(outDir)).toEqual([]);
    writeFileSync(join(outDir, 'planted.html'), '<html><script src="https://cdn.example/x.js"></script></html>\n');
    try {
      expect(() => {
        assertNoRemoteResources(outDir);
      }).toThrow(RemoteResourceError);
      expect(() => {
        assertNoRemoteResources(outDir);
      }).toThrow(/planted\.html:1/);
    } finally {
      rmSync(join(outDir, 'planted.html'));
    }
  });
});
