/**
 * Produces every file of generated/ in memory, from specs/. Pure with respect to the output
 * folder, so `npm run generate` and the staleness test share it.
 */
import { join } from 'node:path';
import { bundleSpec } from './bundle-spec.ts';
import { messageTargets, operationTargets } from './contract-walk.ts';
import { generateEventModels } from './event-models.ts';
import { generatedHeader } from './header.ts';
import { generateEventPayloads, generateEventsIndex, generateOperationsIndex } from './indexes.ts';
import { generateOpenApiTypes } from './openapi-types.ts';
import { generateAsyncApiValidators, generateOpenApiValidators } from './validators.ts';

/** Path relative to generated/ → file content. */
type GeneratedTree = Map<string, string>;

const README = `${generatedHeader('scripts/generate.ts', 'specs/', '#')}
# generated/

Output of \`npm run generate\`, committed so that a clone type-checks and runs without a build step.

| path | what | from |
|---|---|---|
| \`openapi/schema.d.ts\` | REST types (\`paths\`, \`components\`, \`operations\`) | openapi-typescript |
| \`models/index.ts\` | SSE payload types (\`Item\`, \`Metrics\`, \`HeartbeatPayload\`, …) | openapi-typescript, on the AsyncAPI payload schemas |
| \`validators/openapi.cjs\` | request and response body validators | ajv standalone |
| \`validators/openapi-params.cjs\` | query and path parameter validators (fill defaults; src/contract converts numbers strictly first) | ajv standalone |
| \`validators/asyncapi.cjs\` | SSE payload and frame-field validators | ajv standalone |
| \`operations.ts\`, \`events.ts\` | typed maps from operation / event to its validators | scripts/codegen/indexes.ts |
| \`event-payloads.ts\` | the events' payload and frame types only (what the client's types reach) | scripts/codegen/indexes.ts |

Only \`src/contract/\` imports from here at run time; the dashboard (\`src/dashboard/\`) names these types in JSDoc, checked by \`tsconfig.dashboard.json\`.
`;

async function generateAll(specsDir: string): Promise<GeneratedTree> {
  const openapi = bundleSpec(join(specsDir, 'openapi.yaml')).document;
  const asyncapi = bundleSpec(join(specsDir, 'asyncapi.yaml')).document;
  const operations = operationTargets(openapi);
  const { messages, channels } = messageTargets(asyncapi);

  const tree: GeneratedTree = new Map();
  tree.set('README.md', README);
  tree.set('openapi/schema.d.ts', await generateOpenApiTypes(openapi));
  tree.set('models/index.ts', await generateEventModels(asyncapi, messages));
  const rest = generateOpenApiValidators(openapi, operations);
  const sse = generateAsyncApiValidators(asyncapi, messages);
  for (const [name, module] of [
    ['openapi', rest.bodies],
    ['openapi-params', rest.params],
    ['asyncapi', sse],
  ] as const) {
    tree.set(`validators/${name}.cjs`, module.code);
    tree.set(`validators/${name}.d.cts`, module.declarations);
  }
  tree.set('operations.ts', generateOperationsIndex(operations));
  tree.set('event-payloads.ts', generateEventPayloads(asyncapi, messages));
  tree.set('events.ts', generateEventsIndex(messages, channels));
  return new Map([...tree].sort(([a], [b]) => a.localeCompare(b)));
}

export type { GeneratedTree };
export { generateAll };
