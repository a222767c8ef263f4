/**
 * A UTF-8-only stand-in for `iconv-lite`, swapped in by the Lambda build (esbuild alias). The
 * real module is 481 KiB of code pages that body-parser and raw-body pull in to decode bodies
 * in any charset; the contract only accepts UTF-8 JSON, and the REST bundle must stay under
 * 1 MiB. Errors keep iconv-lite's wording, which raw-body matches to answer 415.
 */
const UTF8 = new Set(['utf8', 'utf-8', 'unicode-1-1-utf-8']);

const normalise = (encoding: string): string => encoding.trim().toLowerCase();

function encodingExists(encoding: string): boolean {
  return UTF8.has(normalise(encoding));
}

function unsupported(encoding: string): Error {
  return new Error(`Encoding not recognized: '${encoding}' (searched as: '${normalise(encoding)}')`);
}

function getDecoder(encoding: string): { write(chunk: Uint8Array): string; end(): string | undefined } {
  if (!encodingExists(encoding)) throw unsupported(encoding);
  const decoder = new TextDecoder('utf-8');
  return {
    write: (chunk) => decoder.decode(chunk, { stream: true }),
    end: () => decoder.decode() || undefined,
  };
}

function decode(buffer: Uint8Array, encoding: string): string {
  if (!encodingExists(encoding)) throw unsupported(encoding);
  return new TextDecoder('utf-8').decode(buffer);
}

export { decode, encodingExists, getDecoder };
