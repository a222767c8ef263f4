/**
 * Finds a member name that occurs twice in one JSON object. JSON.parse keeps the last one
 * silently, so `{"items": [<bad>], "items": [<good>]}` would be checked and stored as the good
 * batch while a proxy or log in front of us may have read the bad one. RFC 8259 leaves such
 * documents' meaning open; I-JSON (RFC 7493) forbids them, and so do we.
 *
 * One pass over the bytes, linear in the body: only `"`, `\`, brackets, braces and commas matter,
 * and none of them can occur inside a multi-byte UTF-8 sequence. Meant for bodies that are about
 * to be parsed: on malformed JSON it returns whatever it found, and JSON.parse reports the error.
 */

const QUOTE = 0x22;
const BACKSLASH = 0x5c;
const OPEN_OBJECT = 0x7b;
const CLOSE_OBJECT = 0x7d;
const OPEN_ARRAY = 0x5b;
const CLOSE_ARRAY = 0x5d;
const COMMA = 0x2c;

/** One open container: the names seen so far for an object, null for an array. */
type Frame = Set<string> | null;

/** A member name as JavaScript sees it (`"a"` and `"\u0061"` are the same name). */
function nameAt(bytes: Uint8Array, start: number, end: number, escaped: boolean): string {
  const raw = Buffer.from(bytes.buffer, bytes.byteOffset + start, end - start).toString('utf8');
  if (!escaped) return raw;
  try {
    return JSON.parse(`"${raw}"`) as string;
  } catch {
    return raw;
  }
}

/** The first name that repeats within one object, or undefined. */
function findDuplicateKey(bytes: Uint8Array): string | undefined {
  const frames: Frame[] = [];
  let expectingName = false;
  for (let i = 0; i < bytes.length; i++) {
    const byte = bytes[i];
    if (byte === QUOTE) {
      let end = i + 1;
      let escaped = false;
      while (end < bytes.length && bytes[end] !== QUOTE) {
        if (bytes[end] === BACKSLASH) {
          escaped = true;
          end += 2;
        } else end += 1;
      }
      const names = frames.at(-1);
      if (expectingName && names) {
        const name = nameAt(bytes, i + 1, Math.min(end, bytes.length), escaped);
        if (names.has(name)) return name;
        names.add(name);
      }
      expectingName = false;
      i = end;
    } else if (byte === OPEN_OBJECT) {
      frames.push(new Set());
      expectingName = true;
    } else if (byte === OPEN_ARRAY) {
      frames.push(null);
      expectingName = false;
    } else if (byte === CLOSE_OBJECT || byte === CLOSE_ARRAY) {
      frames.pop();
      expectingName = false;
    } else if (byte === COMMA) {
      expectingName = frames.at(-1) instanceof Set;
    }
  }
  return undefined;
}

export { findDuplicateKey };
