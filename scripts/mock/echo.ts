/**
 * What a mock answer may echo of a request. Every problem is checked against the contract before
 * it leaves, and the Problem schema caps `detail` (2,000 characters), `instance` (2,048, a URI
 * reference) and each `errors` entry (500): a request value quoted in full could break that
 * check, so echoed values are cut first, to a length that keeps the message readable.
 */

/** How much of a request value a message quotes. */
const MAX_QUOTE = 100;
/** The Problem schema's caps. */
const MAX_DETAIL = 2000;
const MAX_INSTANCE = 2048;

/** `text` cut to `max` characters, the cut marked with `…`. */
const clip = (text: string, max: number = MAX_QUOTE): string =>
  text.length <= max ? text : `${text.slice(0, Math.max(0, max - 1))}…`;

/**
 * The request path as a valid URI reference, for `instance` (the real server's rule): a path can
 * hold what a URI may not (`%ZZ`, a raw `{`), so stray `%` and such characters are
 * percent-encoded, and a cut never splits an escape.
 */
function asInstance(path: string): string {
  const encoded = path.replace(/%(?![0-9A-Fa-f]{2})|[^A-Za-z0-9\-._~:/?#[\]@!$&'()*+,;=%]/gu, (char) =>
    char === '%' ? '%25' : encodeURIComponent(char.isWellFormed() ? char : '\uFFFD'),
  );
  return encoded.length <= MAX_INSTANCE ? encoded : encoded.slice(0, MAX_INSTANCE).replace(/%[0-9A-Fa-f]?$/, '');
}

export { asInstance, clip, MAX_DETAIL };
