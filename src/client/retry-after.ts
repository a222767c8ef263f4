/**
 * `Retry-After` in delta-seconds or as an HTTP date, in ms from `now`; undefined when absent or
 * unreadable. Not clamped: the caller clamps the delay it waits, and reports what was said.
 */
function retryAfterMs(header: string | null, now: number = Date.now()): number | undefined {
  if (header === null || header.trim() === '') return undefined;
  const seconds = Number(header);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const at = Date.parse(header);
  return Number.isNaN(at) ? undefined : Math.max(0, at - now);
}

export { retryAfterMs };
