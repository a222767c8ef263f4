/**
 * When an item was published, read from its `timestamp`: the one reading of it, shared by the
 * server (history slots, src/store/history-window.ts) and the dashboard (item times), so both
 * agree on every value the API accepts. The contract accepts RFC 3339 date-times only
 * (specs/schemas/published-at.yaml): date, `T`, `t` or a space, time with seconds, optional
 * fractions, and `Z` or an offset with its minutes. A leap second (`:60`), which RFC 3339 allows
 * and JavaScript's Date refuses, reads as the next second.
 */

const RFC_3339 = /^(\d{4}-\d{2}-\d{2})[Tt ](\d{2}):(\d{2}):(\d{2})(\.\d{1,9})?([Zz]|[+-]\d{2}:\d{2})$/;

/**
 * Epoch ms of an RFC 3339 date-time; NaN for anything else (another form, an impossible date).
 * @param {string} text
 * @returns {number}
 */
export function publishedAtMs(text) {
  const match = RFC_3339.exec(text);
  if (match === null) return Number.NaN;
  const [, date = '', hours = '', minutes = '', seconds = '', fraction = '', zone = 'Z'] = match;
  const leap = seconds === '60';
  const ms = Date.parse(`${date}T${hours}:${minutes}:${leap ? '59' : seconds}${fraction}${zone.toUpperCase()}`);
  return leap ? ms + 1000 : ms;
}
