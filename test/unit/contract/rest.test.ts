import { describe, expect, it } from 'vitest';
import {
  checkResponse,
  matchOperation,
  type OperationId,
  operations,
  parseBody,
  parsePathParams,
  parseQuery,
} from '../../../src/contract/index.ts';

const validItem = {
  item_id: 'reuters-2026-11-21-aapl-0042',
  ticker: 'AAPL',
  sentiment: 'positive',
  score: 0.82,
  timestamp: '2026-11-21T09:14:03.120Z',
};

describe('parseQuery', () => {
  it('converts query strings and fills defaults in a copy, leaving the input untouched', () => {
    const raw = { limit: '20', ticker: 'AAPL' };

    const withLimit = parseQuery('listItems', raw);
    const withDefault = parseQuery('listItems', {});

    expect(withLimit).toEqual({ ok: true, value: { limit: 20, ticker: 'AAPL' } });
    expect(withDefault).toEqual({ ok: true, value: { limit: 50 } });
    expect(raw).toEqual({ limit: '20', ticker: 'AAPL' });
  });

  it.each([
    [
      'an unknown parameter',
      { tickr: 'AAPL' },
      [{ location: 'query', pointer: '/tickr', message: 'is not allowed here (unknown field)' }],
    ],
    ['a limit over 100', { limit: '101' }, [{ location: 'query', pointer: '/limit', message: 'must be <= 100' }]],
    [
      'a limit that is not a number',
      { limit: 'ten' },
      [{ location: 'query', pointer: '/limit', message: 'must be an integer in plain decimal digits (e.g. 20)' }],
    ],
    [
      'a lower-case ticker',
      { ticker: 'aapl' },
      [{ location: 'query', pointer: '/ticker', message: 'has characters or a shape that is not allowed' }],
    ],
    [
      // Over the length limit, so the pattern is not even tried (see size-gates.ts).
      'a ticker with a newline',
      { ticker: 'AAPL\nevent: x' },
      [{ location: 'query', pointer: '/ticker', message: 'must NOT have more than 10 characters' }],
    ],
    [
      'a short ticker with a newline',
      { ticker: 'AA\nPL' },
      [{ location: 'query', pointer: '/ticker', message: 'has characters or a shape that is not allowed' }],
    ],
    [
      'a repeated parameter',
      { ticker: ['AAPL', 'MSFT'] },
      [{ location: 'query', pointer: '/ticker', message: 'is given more than once; give it once' }],
    ],
  ])('refuses %s', (_name, query, issues) => {
    expect(parseQuery('listItems', query)).toEqual({ ok: false, issues });
  });

  it('refuses any parameter on an operation that defines none', () => {
    const result = parseQuery('getMetrics', { cachebuster: '1' });
    expect(result.ok).toBe(false);
  });
});

describe('parsePathParams', () => {
  it('accepts a UUID and refuses anything else', () => {
    expect(parsePathParams('getConfiguration', { config_id: '7d9f1c2e-4b1a-4f7e-9c3d-2a6b8e0f1a23' }).ok).toBe(true);
    expect(parsePathParams('getConfiguration', { config_id: '../etc/passwd' })).toEqual({
      ok: false,
      issues: [{ location: 'path', pointer: '/config_id', message: 'must match format "uuid"' }],
    });
  });
});

describe('parseBody', () => {
  it('accepts a valid ingest batch', () => {
    expect(parseBody('ingestItems', { items: [validItem] })).toEqual({ ok: true, value: { items: [validItem] } });
  });

  it.each([
    ['a missing field', { items: [{ ...validItem, score: undefined }] }, '/items/0/score', 'is required'],
    [
      'an unknown field',
      { items: [{ ...validItem, mood: 'happy' }] },
      '/items/0/mood',
      'is not allowed here (unknown field)',
    ],
    ['a score over 1', { items: [{ ...validItem, score: 1.5 }] }, '/items/0/score', 'must be <= 1'],
    [
      'a sentiment outside the enum',
      { items: [{ ...validItem, sentiment: 'bullish' }] },
      '/items/0/sentiment',
      'must be one of: positive, neutral, negative',
    ],
    ['a wrong type', { items: [{ ...validItem, score: '0.5' }] }, '/items/0/score', 'must be number'],
    ['an empty batch', { items: [] }, '/items', 'must NOT have fewer than 1 items'],
    [
      'a batch over 25',
      { items: Array.from({ length: 26 }, () => validItem) },
      '/items',
      'must NOT have more than 25 items',
    ],
    [
      'an invalid timestamp',
      { items: [{ ...validItem, timestamp: 'yesterday' }] },
      '/items/0/timestamp',
      'must match format "date-time"',
    ],
  ])('refuses %s with a pointer to it', (_name, body, pointer, message) => {
    const result = parseBody('ingestItems', JSON.parse(JSON.stringify(body)));
    expect(result.ok).toBe(false);
    expect(result.ok ? [] : result.issues).toContainEqual({ location: 'body', pointer, message });
  });

  it.each([
    ['an empty name', { name: '', tickers: ['AAPL'] }, '/name'],
    ['a whitespace-only name', { name: '   ', tickers: ['AAPL'] }, '/name'],
    ['a name over 100 characters', { name: 'x'.repeat(101), tickers: ['AAPL'] }, '/name'],
    ['a name with a newline', { name: 'a\nb', tickers: ['AAPL'] }, '/name'],
    ['more than 20 tickers', { name: 'big', tickers: Array.from({ length: 21 }, (_, i) => `T${i}`) }, '/tickers'],
    ['a ticker with a space', { name: 'x', tickers: ['AA PL'] }, '/tickers/0'],
    ['repeated tickers', { name: 'x', tickers: ['AAPL', 'AAPL'] }, '/tickers'],
  ])('refuses a configuration with %s', (_name, body, pointer) => {
    const result = parseBody('createConfiguration', body);
    expect(result.ok ? [] : result.issues.map((issue) => issue.pointer)).toContain(pointer);
  });

  it('caps the issue list at 100 entries however many inputs are invalid', () => {
    const items = Array.from({ length: 25 }, () => ({
      item_id: '',
      ticker: '',
      sentiment: '',
      score: 9,
      timestamp: '',
      x: 1,
    }));
    const result = parseBody('ingestItems', { items });
    expect(result.ok ? 0 : result.issues.length).toBe(100);
  });
});

describe('checkResponse', () => {
  it('accepts a documented status, content type and body', () => {
    const problem = { type: '/problems/not-found', title: 'Not found', status: 404 };
    expect(checkResponse('getConfiguration', 404, 'application/problem+json; charset=utf-8', problem).ok).toBe(true);
  });

  it.each([
    [
      'an undocumented status',
      'getConfiguration',
      418,
      'application/problem+json',
      {},
      'getConfiguration does not document status 418',
    ],
    [
      'the wrong content type',
      'getMetrics',
      200,
      'text/html',
      {},
      'getMetrics 200: content type text/html, contract says application/json',
    ],
    [
      'a body on 204',
      'deleteConfiguration',
      204,
      'application/json',
      {},
      'deleteConfiguration 204: content type application/json, contract says none',
    ],
  ])('refuses %s', (_name, operation, status, contentType, body, message) => {
    const result = checkResponse(operation as 'getMetrics', status, contentType, body);
    expect(result).toEqual({ ok: false, issues: [{ location: 'body', pointer: '', message }] });
  });

  it('refuses a body that does not match the schema', () => {
    const result = checkResponse('getMetrics', 200, 'application/json', { total: 1 });
    expect(result.ok).toBe(false);
  });
});

describe('matchOperation', () => {
  it.each([
    ['GET', '/api/v2/items', 'listItems', {}],
    ['POST', '/api/v2/items', 'ingestItems', {}],
    ['GET', '/api/v2/configurations/abc', 'getConfiguration', { config_id: 'abc' }],
    ['POST', '/api/v2/configurations/abc/stream-token', 'createStreamToken', { config_id: 'abc' }],
    ['GET', '/api/v2/configurations/a%20b/stream', 'streamConfiguration', { config_id: 'a b' }],
  ])('maps %s %s to %s', (method, path, operationId, pathParams) => {
    expect(matchOperation(method, path)).toEqual({ operationId, pathParams });
  });

  it('maps every operation of the contract to itself, whether its path has parameters or not', () => {
    for (const operationId of Object.keys(operations) as OperationId[]) {
      const { method, path } = operations[operationId];
      const concrete = path.replaceAll(/\{[^}]+\}/g, 'x');
      expect(matchOperation(method.toUpperCase(), concrete)?.operationId, `${method} ${path}`).toBe(operationId);
    }
    expect(matchOperation('GET', '/api/v2/stream')).toEqual({ operationId: 'streamGlobal', pathParams: {} });
  });

  it.each([
    ['PATCH', '/api/v2/items'],
    ['GET', '/api/v2/items/'],
    ['GET', '/api/v2/configurations/a/b'],
    ['CONSTRUCTOR', '/api/v2/items'],
    ['__PROTO__', '/api/v2/stream'],
  ])('finds nothing for %s %s', (method, path) => {
    expect(matchOperation(method, path)).toBeUndefined();
  });
});
