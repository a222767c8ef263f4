/**
 * Collects every example in the two contracts and checks it against its schema. The AsyncAPI
 * validator does not look at examples at all and Redocly only partly, so this is what keeps
 * the examples (which Prism serves and the docs show) honest.
 *
 * Bodies, responses and SSE payloads go through the generated validators (src/contract), which
 * also exercises the generated code; parameter and schema-level examples are compiled here.
 */
import Ajv from 'ajv';
import Ajv2020 from 'ajv/dist/2020.js';
import type AjvCore from 'ajv/dist/core.js';
import addFormats from 'ajv-formats';
import { events, sseFields } from '../../generated/events.ts';
import { type BundledSpec, isObject, type Json, type JsonObject } from '../../scripts/codegen/bundle-spec.ts';
import { anchorRefs } from '../../scripts/codegen/validators.ts';
import {
  type ChannelKey,
  checkResponse,
  isEventName,
  type OperationId,
  operations,
  parseBody,
  parseEvent,
  type ValidationIssue,
} from '../../src/contract/index.ts';
import { parseSseText } from './sse-text.ts';

interface ExampleCase {
  /** Where the example is: the file, and a JSON Pointer inside the bundled document. */
  readonly where: string;
  /** Problems found; empty when the example is valid. */
  readonly problems: () => string[];
}

const pointer = (...parts: (string | number)[]): string =>
  `#/${parts.map((p) => String(p).replaceAll('~', '~0').replaceAll('/', '~1')).join('/')}`;

const describeIssues = (issues: readonly ValidationIssue[]): string[] =>
  issues.map((issue) => `${issue.location} ${issue.pointer || '(root)'}: ${issue.message}`);

/** The example values of a media type, parameter or message: `examples` (a map or list) or `example`. */
function exampleValues(node: JsonObject): [path: string[], value: Json][] {
  const out: [string[], Json][] = [];
  if (node.example !== undefined) out.push([['example'], node.example]);
  const examples = node.examples;
  if (Array.isArray(examples)) {
    for (const [i, value] of examples.entries()) out.push([['examples', String(i)], value]);
  } else if (isObject(examples)) {
    for (const [name, value] of Object.entries(examples)) {
      out.push([['examples', name], isObject(value) && value.value !== undefined ? value.value : value]);
    }
  }
  return out;
}

/** An ajv instance holding a bundled document's component schemas, for examples the generated code does not cover. */
function schemaRegistry(ajv: AjvCore.default, id: string, document: JsonObject) {
  ajv.addVocabulary(['example', 'discriminator', 'xml', 'externalDocs', 'components']);
  addFormats.default(ajv);
  const components = isObject(document.components) ? document.components : {};
  ajv.addSchema({ $id: id, components: { schemas: anchorRefs(components.schemas ?? {}, id) } });
  return {
    at: (schemaPointer: string) => ajv.getSchema(`${id}${schemaPointer}`),
    compile: (schema: Json) => ajv.compile(anchorRefs(schema, id) as JsonObject),
  };
}

type SchemaRegistry = ReturnType<typeof schemaRegistry>;
const ajvOptions = { allErrors: true, strict: true, allowUnionTypes: true };

const streamChannels: Partial<Record<OperationId, ChannelKey>> = {
  streamGlobal: 'globalStream',
  streamConfiguration: 'configurationStream',
};

function deref(document: JsonObject, node: Json): JsonObject {
  let current = node;
  while (isObject(current) && typeof current.$ref === 'string') {
    let target: Json = document;
    for (const raw of current.$ref.slice(2).split('/')) {
      target = isObject(target) ? (target[raw.replaceAll('~1', '/').replaceAll('~0', '~')] as Json) : null;
    }
    current = target;
  }
  return isObject(current) ? current : {};
}

/** Every example of specs/openapi.yaml, each with its check. */
function openApiExampleCases(spec: BundledSpec): ExampleCase[] {
  const doc = spec.document;
  const registry = schemaRegistry(new Ajv2020.default(ajvOptions), 'urn:test:openapi', doc);
  const cases: ExampleCase[] = [];
  const file = 'specs/openapi.yaml';
  for (const [operationId, op] of Object.entries(operations) as [OperationId, (typeof operations)[OperationId]][]) {
    const pathItem = deref(doc, (doc.paths as JsonObject)[op.path] as Json);
    const operation = deref(doc, pathItem[op.method] as Json);
    const base = ['paths', op.path, op.method];

    const params = [
      ...(Array.isArray(pathItem.parameters) ? pathItem.parameters : []),
      ...(Array.isArray(operation.parameters) ? operation.parameters : []),
    ].map((p) => deref(doc, p));
    for (const param of params) {
      for (const [name, value] of exampleValues(param)) {
        cases.push({
          where: `${file}${pointer(...base, 'parameters', typeof param.name === 'string' ? param.name : '?', ...name)}`,
          problems: () => {
            const validate = registry.compile(param.schema ?? {});
            return validate(value)
              ? []
              : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
          },
        });
      }
    }

    const body = operation.requestBody === undefined ? undefined : deref(doc, operation.requestBody);
    const bodyContent = isObject(body?.content) ? body.content : {};
    for (const [mediaType, media] of Object.entries(bodyContent)) {
      for (const [name, value] of exampleValues(deref(doc, media))) {
        cases.push({
          where: `${file}${pointer(...base, 'requestBody', 'content', mediaType, ...name)}`,
          problems: () => {
            const result = parseBody(operationId, value);
            return result.ok ? [] : describeIssues(result.issues);
          },
        });
      }
    }

    for (const [status, rawResponse] of Object.entries(deref(doc, operation.responses as Json))) {
      const response = deref(doc, rawResponse);
      for (const [mediaType, media] of Object.entries(isObject(response.content) ? response.content : {})) {
        for (const [name, value] of exampleValues(deref(doc, media))) {
          const where = `${file}${pointer(...base, 'responses', status, 'content', mediaType, ...name)}`;
          const channel = streamChannels[operationId];
          if (mediaType === 'text/event-stream') {
            cases.push({ where, problems: () => eventStreamProblems(value, channel) });
          } else {
            cases.push({
              where,
              problems: () => {
                const result = checkResponse(operationId, Number(status), mediaType, value);
                return result.ok ? [] : describeIssues(result.issues);
              },
            });
          }
        }
      }
    }
  }
  cases.push(...schemaExampleCases(spec, file, registry));
  return cases;
}

/** Parses an example SSE body like a browser and checks every frame against the AsyncAPI contract. */
function eventStreamProblems(value: Json, channel: ChannelKey | undefined): string[] {
  if (typeof value !== 'string') return ['an event-stream example must be a string'];
  const { frames } = parseSseText(value);
  if (frames.length === 0) return ['the example holds no complete event'];
  return frames.flatMap((frame, i) => {
    const result = parseEvent(frame, channel);
    return result.ok ? [] : describeIssues(result.issues).map((problem) => `frame ${i} (${frame.event}): ${problem}`);
  });
}

/** `examples` of every component schema; shared files are named by their own path. */
function schemaExampleCases(spec: BundledSpec, file: string, registry: SchemaRegistry): ExampleCase[] {
  const components = isObject(spec.document.components) ? spec.document.components : {};
  const schemas = isObject(components.schemas) ? components.schemas : {};
  const cases: ExampleCase[] = [];
  for (const [name, schema] of Object.entries(schemas)) {
    if (!isObject(schema)) continue;
    const shared = spec.sharedFiles.get(name);
    for (const [exampleName, value] of exampleValues({ examples: schema.examples ?? [] })) {
      cases.push({
        where:
          shared === undefined
            ? `${file}${pointer('components', 'schemas', name, ...exampleName)}`
            : `specs/${shared}${pointer(...exampleName)}`,
        problems: () => {
          const validate = registry.at(pointer('components', 'schemas', name));
          if (validate === undefined) return [`schema ${name} did not compile`];
          return validate(value)
            ? []
            : (validate.errors ?? []).map((e) => `${e.instancePath || '(root)'} ${e.message}`);
        },
      });
    }
  }
  return cases;
}

/** Every message example of specs/asyncapi.yaml (frame fields and payload), plus schema examples. */
function asyncApiExampleCases(spec: BundledSpec): ExampleCase[] {
  const doc = spec.document;
  const file = 'specs/asyncapi.yaml';
  const components = isObject(doc.components) ? doc.components : {};
  const messages = isObject(components.messages) ? components.messages : {};
  const cases: ExampleCase[] = [];
  for (const [key, rawMessage] of Object.entries(messages)) {
    const message = deref(doc, rawMessage);
    const event = typeof message.name === 'string' ? message.name : '';
    const examples = Array.isArray(message.examples) ? message.examples : [];
    examples.forEach((example, i) => {
      const where = `${file}${pointer('components', 'messages', key, 'examples', i)}`;
      cases.push({
        where,
        problems: () => {
          if (!isObject(example)) return ['an example must be an object with headers and payload'];
          if (!isEventName(event)) return [`unknown event ${event}`];
          const problems: string[] = [];
          if (!sseFields(example.headers)) {
            problems.push(...(sseFields.errors ?? []).map((e) => `headers${e.instancePath} ${e.message}`));
          }
          const validate = events[event].validate;
          if (!validate(example.payload)) {
            problems.push(...(validate.errors ?? []).map((e) => `payload${e.instancePath} ${e.message}`));
          }
          return problems;
        },
      });
    });
  }
  // Shared schemas are checked again here under draft-07, the dialect AsyncAPI reads them in.
  cases.push(...schemaExampleCases(spec, file, schemaRegistry(new Ajv.default(ajvOptions), 'urn:test:asyncapi', doc)));
  return cases;
}

export type { ExampleCase };
export { asyncApiExampleCases, exampleValues, openApiExampleCases };
