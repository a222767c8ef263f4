/**
 * The message examples of specs/asyncapi.yaml, keyed by SSE event name (each message's `name`).
 * The mock builds every event from these, so what it streams looks like what the contract shows
 * and changes when the examples do.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';

/** One example of a message: its frame fields (`headers`) and its payload, as written in the spec. */
interface MessageExample {
  readonly name: string | undefined;
  readonly id: string;
  readonly retry: number | undefined;
  readonly payload: unknown;
}

type Examples = ReadonlyMap<string, readonly MessageExample[]>;

const isRecord = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

/** Reads `components.messages.*.examples` from an AsyncAPI document. */
function loadMessageExamples(specPath: string): Examples {
  const doc: unknown = parse(readFileSync(specPath, 'utf8'));
  const messages = isRecord(doc) && isRecord(doc.components) ? doc.components.messages : undefined;
  if (!isRecord(messages)) throw new Error(`${specPath}: no components.messages`);
  const examples = new Map<string, MessageExample[]>();
  for (const [key, message] of Object.entries(messages)) {
    if (!isRecord(message) || typeof message.name !== 'string') {
      throw new Error(`${specPath}: components.messages.${key} has no name (its SSE event name)`);
    }
    const list = Array.isArray(message.examples) ? (message.examples as unknown[]) : [];
    examples.set(
      message.name,
      list.map((example, index) => {
        const where = `${specPath}: components.messages.${key}.examples[${index}]`;
        if (!isRecord(example) || !isRecord(example.headers) || typeof example.headers.id !== 'string') {
          throw new Error(`${where} needs headers.id`);
        }
        const { retry } = example.headers;
        return {
          name: typeof example.name === 'string' ? example.name : undefined,
          id: example.headers.id,
          retry: typeof retry === 'number' ? retry : undefined,
          payload: example.payload,
        };
      }),
    );
  }
  return examples;
}

export type { Examples, MessageExample };
export { loadMessageExamples };
