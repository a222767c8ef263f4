import type { Schemas } from '../../contract/index.ts';
import { BadRequestError } from '../errors.ts';
import type { OperationHandler } from '../handler.ts';
import { PROBLEM_TYPES } from '../problem-types.ts';
import type { HandlerDeps } from './deps.ts';

type ItemPage = Schemas['ItemPage'];

/** The 400 for a cursor (`after`) or page token (`page`) that may not drive a read. */
function refusePosition(parameter: 'after' | 'page', reason: 'malformed' | 'expired'): BadRequestError {
  const what = parameter === 'after' ? 'cursor' : 'page token';
  const expired = reason === 'expired';
  return new BadRequestError(
    expired
      ? `The ${what} is older than the item retention; list without ${parameter} to start again.`
      : `The ${what} was not issued by this service for this listing.`,
    {
      issues: [
        { location: 'query', pointer: `/${parameter}`, message: expired ? 'has expired' : `is not a valid ${what}` },
      ],
      kind: expired ? PROBLEM_TYPES.cursorExpired : PROBLEM_TYPES.invalidRequest,
    },
  );
}

/**
 * `GET /api/v2/items`. Without `after`: newest first, paged with `page`; `cursor` is the feed head
 * read *before* the page, so polling `after=cursor` may repeat an item that arrived in between
 * but can never miss one. With `after`: the items after that cursor, oldest first to be taken.
 *
 * Cursors and page tokens are checked (shape, then bounds against the clock) before any store
 * read, every read is bounded by the store's query budget, and all of it stops when the client
 * goes (`signal`): a request costs at most a constant number of store queries (docs/security.md).
 */
const listItems =
  (deps: HandlerDeps): OperationHandler<'listItems'> =>
  async ({ query, signal }) => {
    // The validator fills the contract's default; the generated type still says optional.
    const limit = query.limit ?? 50;
    if (query.after !== undefined && query.page !== undefined) {
      throw new BadRequestError('Use either after (a stream cursor) or page (a page token), not both.', {
        issues: [{ location: 'query', pointer: '/page', message: 'cannot be combined with after' }],
      });
    }
    if (query.after !== undefined) {
      const parsed = deps.store.parseCursor(query.after);
      if (!parsed.ok) throw refusePosition('after', parsed.reason);
      // The answer's cursor goes back as text, so the read delivers only what the text can hold.
      const read = await deps.store.readAfter(parsed.cursor, limit, { signal, exactText: true });
      const stored = read.entries.map((entry) => entry.item);
      const items = query.ticker === undefined ? stored : stored.filter((item) => item.ticker === query.ticker);
      const body: ItemPage = {
        items: [...items].reverse(),
        next_cursor: null,
        cursor: deps.store.encodeCursor(read.cursor),
      };
      return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
    }
    const parsedPage = query.page === undefined ? undefined : deps.store.parsePageToken(query.page, query.ticker);
    if (parsedPage?.ok === false) throw refusePosition('page', parsedPage.reason);
    const head = await deps.store.headCursor({ signal });
    const newest = await deps.store.readNewest({ limit, ticker: query.ticker, page: parsedPage?.page, signal });
    const body: ItemPage = {
      items: [...newest.items],
      next_cursor: newest.nextPage,
      cursor: deps.store.encodeCursor(head),
    };
    return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
  };

export { listItems };
