/**
 * The configurations the mock SSE server knows: those of the `listConfigurations` examples in
 * specs/openapi.yaml, which is what the REST mock (Prism) answers to `GET /api/v2/configurations`.
 * A frontend that lists its configurations from the REST mock and opens one's stream therefore
 * gets that configuration's tickers, and only those, as from the real server. Any other id is a
 * configuration that does not exist: 404, as on the real server.
 */
import { readFileSync } from 'node:fs';
import { parse } from 'yaml';
import { checkResponse, type Schemas } from '../../src/contract/index.ts';
import { isNode, resolve } from './openapi-answers.ts';

interface KnownConfiguration {
  readonly configId: string;
  readonly name: string;
  readonly tickers: ReadonlySet<string>;
}

const OPERATION_ID = 'listConfigurations';
const MEDIA_TYPE = 'application/json';

/** The 200 response of `listConfigurations` in `document`, or throws naming what is missing. */
function listResponse(document: Record<string, unknown>, specPath: string): Record<string, unknown> {
  for (const item of Object.values(isNode(document.paths) ? document.paths : {})) {
    const operation = isNode(item) ? item.get : undefined;
    if (!isNode(operation) || operation.operationId !== OPERATION_ID) continue;
    const responses = isNode(operation.responses) ? operation.responses : {};
    return resolve(document, responses['200'], `${specPath}: ${OPERATION_ID} 200`);
  }
  throw new Error(`${specPath}: no ${OPERATION_ID} operation to take the mock's configurations from`);
}

/** Every configuration of every `listConfigurations` 200 example, by id (the first of an id wins). */
function loadKnownConfigurations(specPath: string): ReadonlyMap<string, KnownConfiguration> {
  const document: unknown = parse(readFileSync(specPath, 'utf8'));
  if (!isNode(document)) throw new Error(`${specPath}: not a document`);
  const response = listResponse(document, specPath);
  const media = isNode(response.content) ? response.content[MEDIA_TYPE] : undefined;
  const examples = isNode(media) && isNode(media.examples) ? media.examples : {};
  const known = new Map<string, KnownConfiguration>();
  for (const [key, example] of Object.entries(examples)) {
    const where = `${specPath}: ${OPERATION_ID} 200 example ${key}`;
    const { value } = resolve(document, example, where);
    const checked = checkResponse(OPERATION_ID, 200, MEDIA_TYPE, value);
    if (!checked.ok) throw new Error(`${where} breaks its schema: ${JSON.stringify(checked.issues)}`);
    for (const configuration of (checked.value as Schemas['ConfigurationList']).configurations) {
      if (known.has(configuration.config_id)) continue;
      known.set(configuration.config_id, {
        configId: configuration.config_id,
        name: configuration.name,
        tickers: new Set(configuration.tickers),
      });
    }
  }
  if (known.size === 0) throw new Error(`${specPath}: the ${OPERATION_ID} examples list no configuration`);
  return known;
}

/** `7d9f1c2e-… (Megacap tech: AAPL, MSFT, NVDA)`, for messages that list what the mock knows. */
const describeConfiguration = (configuration: KnownConfiguration): string =>
  `${configuration.configId} (${configuration.name}: ${[...configuration.tickers].join(', ')})`;

export type { KnownConfiguration };
export { describeConfiguration, loadKnownConfigurations };
