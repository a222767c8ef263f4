import { resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { bundleSpec, type Json, type JsonObject } from '../../scripts/codegen/bundle-spec.ts';
import { asyncApiExampleCases, openApiExampleCases } from '../support/spec-examples.ts';

const specs = resolve(import.meta.dirname, '../../specs');
const openapi = bundleSpec(resolve(specs, 'openapi.yaml'));
const asyncapi = bundleSpec(resolve(specs, 'asyncapi.yaml'));

/** Replaces the value at `path` inside a (cloned) bundled document. */
function setAt(document: JsonObject, path: string[], value: Json): void {
  const parent = path.slice(0, -1).reduce<Json>((node, key) => (node as JsonObject)[key] as Json, document);
  (parent as JsonObject)[path.at(-1) as string] = value;
}

describe.each([
  ['specs/openapi.yaml', openApiExampleCases(openapi)],
  ['specs/asyncapi.yaml', asyncApiExampleCases(asyncapi)],
])('examples of %s', (_file, cases) => {
  it('has examples to check', () => {
    expect(cases.length).toBeGreaterThan(10);
  });

  it.each(cases.map((c) => [c.where, c] as const))('%s matches its schema', (_where, exampleCase) => {
    expect(exampleCase.problems(), `${exampleCase.where} violates its schema`).toEqual([]);
  });
});

describe('the example check itself', () => {
  it('reports a response example that violates its schema, naming the file and the place', () => {
    // Prepare: a copy of the bundled spec whose metrics example has a negative total.
    const broken = structuredClone(openapi);
    const example = ['paths', '/api/v2/metrics', 'get', 'responses', '200', 'content', 'application/json', 'examples'];
    setAt(broken.document, [...example, 'snapshot', 'value', 'total'], -1);

    // Act
    const failing = openApiExampleCases(broken).filter((c) => c.problems().length > 0);

    // Assess
    expect(failing.map((c) => c.where)).toEqual([
      'specs/openapi.yaml#/paths/~1api~1v2~1metrics/get/responses/200/content/application~1json/examples/snapshot',
    ]);
    expect(failing[0]?.problems()).toEqual(['body /total: must be >= 0']);
  });

  it('reports a shared schema example by the schema file it is written in', () => {
    const broken = structuredClone(asyncapi);
    setAt(broken.document, ['components', 'schemas', 'Ticker', 'examples'], ['aapl']);

    const failing = asyncApiExampleCases(broken).filter((c) => c.problems().length > 0);

    expect(failing.map((c) => c.where)).toEqual(['specs/schemas/ticker.yaml#/examples/0']);
  });

  it('reports an SSE frame in the OpenAPI event-stream example that breaks the AsyncAPI contract', () => {
    const broken = structuredClone(openapi);
    const example = ['components', 'responses', 'EventStream', 'content', 'text/event-stream', 'examples', 'opening'];
    setAt(broken.document, [...example, 'value'], 'event: heartbeat\nid: 1.abc\ndata: {"timestamp":"not a date"}\n\n');

    const failing = openApiExampleCases(broken).filter((c) => c.problems().length > 0);

    expect(failing.length).toBeGreaterThan(0);
    expect(failing[0]?.problems().join('\n')).toContain('frame 0 (heartbeat)');
  });
});
