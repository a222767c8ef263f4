import type { Schemas } from '../../contract/index.ts';
import { decodePageToken } from '../../store/index.ts';
import { BadRequestError } from '../errors.ts';
import type { OperationHandler } from '../handler.ts';
import type { HandlerDeps } from './deps.ts';

type ItemPage = Schemas['ItemPage'];

/**
 * `GET /api/v2/items`. Without `after`: newest first, paged with `page`; `cursor` is the feed head
 * read *before* the page, so polling `after=cursor` may repeat an item that arrived in between
 * but can never miss one. With `after`: the items after that cursor, oldest first to be taken.
 */
const listItems =
  (deps: HandlerDeps): OperationHandler<'listItems'> =>
  async ({ query }) => {
    // The validator fills the contract's default; the generated type still says optional.
    const limit = query.limit ?? 50;
    if (query.after !== undefined && query.page !== undefined) {
      throw new BadRequestError('Use either after (a stream cursor) or page (a page token), not both.', [
        { location: 'query', pointer: '/page', message: 'cannot be combined with after' },
      ]);
    }
    if (query.after !== undefined) {
      const parsed = deps.store.parseCursor(query.after);
      if (!parsed.ok) {
        throw new BadRequestError(
          parsed.reason === 'expired'
            ? 'The cursor is older than the item retention; list without after to start again.'
            : 'The cursor was not issued by this service.',
          [
            {
              location: 'query',
              pointer: '/after',
              message: parsed.reason === 'expired' ? 'has expired' : 'is not a valid cursor',
            },
          ],
          parsed.reason === 'expired'
            ? { type: '/problems/cursor-expired', title: 'Cursor expired' }
            : { type: '/problems/invalid-request', title: 'Invalid request' },
        );
      }
      const read = await deps.store.readAfter(parsed.cursor, limit);
      const items = query.ticker === undefined ? read.items : read.items.filter((item) => item.ticker === query.ticker);
      const body: ItemPage = {
        items: [...items].reverse(),
        next_cursor: null,
        cursor: deps.store.encodeCursor(read.cursor),
      };
      return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
    }
    const page = query.page === undefined ? undefined : decodePageToken(query.page);
    if (page === null) {
      throw new BadRequestError('The page token was not issued by this service.', [
        { location: 'query', pointer: '/page', message: 'is not a valid page token' },
      ]);
    }
    const head = await deps.store.headCursor();
    const newest = await deps.store.readNewest({ limit, ticker: query.ticker, page });
    const body: ItemPage = {
      items: [...newest.items],
      next_cursor: newest.nextPage,
      cursor: deps.store.encodeCursor(head),
    };
    return { status: 200, body, headers: { 'Cache-Control': 'no-store' } };
  };

export { listItems };
