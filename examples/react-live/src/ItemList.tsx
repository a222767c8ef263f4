/** Items, newest first, each tagged with its id for tests. */
import type { Item } from './api.ts';

interface ItemListProps {
  readonly items: readonly Item[];
  readonly testId: string;
  /** At most this many. */
  readonly limit?: number;
}

function ItemList({ items, testId, limit = 10 }: ItemListProps) {
  return (
    <ul data-testid={testId}>
      {items.slice(0, limit).map((item) => (
        <li key={item.item_id} data-item-id={item.item_id}>
          {item.ticker} {item.sentiment} {item.score.toFixed(2)}
        </li>
      ))}
    </ul>
  );
}

export { ItemList };
