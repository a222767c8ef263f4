/**
 * Reads the bundled contracts into flat lists of "things to validate": per REST operation its
 * query, path and body schemas and one schema per JSON response; per SSE message its payload.
 * Both the validator generator and the index generator consume these lists, so they can never
 * disagree about names.
 */
import { isObject, type Json, type JsonObject } from './bundle-spec.ts';

const HTTP_METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'] as const;
const JSON_MEDIA_TYPES = ['application/json', 'application/problem+json'];

interface ResponseTarget {
  readonly status: string;
  /** null for a response without a body (204). */
  readonly contentType: string | null;
  /** Export name of the body validator; null when there is no JSON body. */
  readonly validator: string | null;
  readonly schema: Json | null;
}

/**
 * The JSON type of each parameter that is not a plain string. Query and path values arrive as
 * text; src/contract converts these strictly (an integer is decimal digits, nothing else) before
 * validation, instead of letting the validator coerce with JavaScript's lenient Number().
 */
type ParameterTypes = Readonly<Record<string, 'integer' | 'number' | 'boolean'>>;

interface ParameterSet {
  readonly validator: string;
  readonly schema: JsonObject;
  readonly types: ParameterTypes;
}

interface OperationTarget {
  readonly operationId: string;
  readonly method: (typeof HTTP_METHODS)[number];
  readonly path: string;
  /** Security requirement names, in the spec's order; empty for public operations. */
  readonly security: readonly string[];
  readonly query: ParameterSet;
  readonly pathParams: ParameterSet | null;
  readonly body: { readonly validator: string; readonly schema: Json; readonly contentType: string } | null;
  readonly responses: readonly ResponseTarget[];
}

interface MessageTarget {
  /** The SSE `event:` name. */
  readonly event: string;
  /** The component key (`Metrics`), used to name the payload type. */
  readonly component: string;
  readonly validator: string;
  readonly schema: Json;
  /** Channel keys the message is used on, in document order. */
  readonly channels: readonly string[];
}

interface ChannelTarget {
  readonly key: string;
  readonly address: string;
  readonly events: readonly string[];
}

/** Resolves a local `#/a/b` reference inside `document`. */
function resolvePointer(document: JsonObject, ref: string): Json {
  if (!ref.startsWith('#/')) throw new Error(`unexpected non-local $ref "${ref}" after bundling`);
  let node: Json = document;
  for (const raw of ref.slice(2).split('/')) {
    const key = raw.replaceAll('~1', '/').replaceAll('~0', '~');
    if (!isObject(node) || !(key in node)) throw new Error(`$ref "${ref}" does not resolve`);
    node = node[key] as Json;
  }
  return node;
}

/** Follows `$ref` chains of OpenAPI components (parameters, responses), not of schemas. */
function deref(document: JsonObject, node: Json): JsonObject {
  let current = node;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 10) throw new Error(`$ref cycle at ${current.$ref}`);
    current = resolvePointer(document, current.$ref);
  }
  if (!isObject(current)) throw new Error('expected an object');
  return current;
}

/** A field that must be a string; anything else is a spec error, never `[object Object]`. */
function text(value: Json | undefined, what: string): string {
  if (typeof value !== 'string') throw new Error(`${what} must be a string`);
  return value;
}

const camel = (text: string): string => text.replace(/[_-]([a-z0-9])/g, (_, c: string) => c.toUpperCase());

function parameterSchema(params: JsonObject[], location: 'query' | 'path'): JsonObject {
  const properties: JsonObject = {};
  const required: string[] = [];
  for (const param of params.filter((p) => p.in === location)) {
    const name = text(param.name, 'a parameter name');
    properties[name] = param.schema ?? {};
    if (param.required === true) required.push(name);
  }
  // Query parameters an operation does not define are refused (a misspelt filter must not be
  // silently ignored), hence additionalProperties: false on every parameter set.
  return { type: 'object', additionalProperties: false, properties, ...(required.length ? { required } : {}) };
}

/** The `type` of a parameter's schema, following `$ref`s to components. */
function parameterType(document: JsonObject, schema: Json | undefined, what: string): Json | undefined {
  let current = schema;
  for (let hops = 0; isObject(current) && typeof current.$ref === 'string'; hops++) {
    if (hops > 10) throw new Error(`${what}: $ref cycle`);
    current = resolvePointer(document, current.$ref);
  }
  return isObject(current) ? current.type : undefined;
}

function parameterTypes(document: JsonObject, schema: JsonObject, what: string): ParameterTypes {
  const types: Record<string, 'integer' | 'number' | 'boolean'> = {};
  for (const [name, property] of Object.entries(isObject(schema.properties) ? schema.properties : {})) {
    const type = parameterType(document, property, `${what} ${name}`);
    if (type === 'integer' || type === 'number' || type === 'boolean') types[name] = type;
    else if (type !== undefined && type !== 'string') {
      // Arrays and objects have no single spelling in a query string; the contract uses none.
      throw new Error(`${what} ${name}: parameters must be strings, integers, numbers or booleans`);
    }
  }
  return types;
}

function operationTargets(document: JsonObject): OperationTarget[] {
  const targets: OperationTarget[] = [];
  const paths = isObject(document.paths) ? document.paths : {};
  const rootSecurity = Array.isArray(document.security) ? document.security : [];
  for (const [path, rawItem] of Object.entries(paths)) {
    const item = deref(document, rawItem);
    const shared = (Array.isArray(item.parameters) ? item.parameters : []).map((p) => deref(document, p));
    for (const method of HTTP_METHODS) {
      const operation = item[method];
      if (!isObject(operation)) continue;
      const operationId = operation.operationId;
      if (typeof operationId !== 'string') throw new Error(`${method.toUpperCase()} ${path} has no operationId`);
      const own = (Array.isArray(operation.parameters) ? operation.parameters : []).map((p) => deref(document, p));
      const key = (p: JsonObject) => `${text(p.in, 'parameter in')}:${text(p.name, 'a parameter name')}`;
      const params = [...shared.filter((p) => !own.some((o) => key(o) === key(p))), ...own];
      const hasPath = params.some((p) => p.in === 'path');

      let body: OperationTarget['body'] = null;
      if (operation.requestBody !== undefined) {
        const content = deref(document, operation.requestBody).content;
        const json = isObject(content) ? content['application/json'] : undefined;
        if (!isObject(json)) throw new Error(`${operationId}: request bodies must be application/json`);
        body = { validator: `${operationId}Body`, schema: json.schema ?? {}, contentType: 'application/json' };
      }

      const responses: ResponseTarget[] = [];
      for (const [status, rawResponse] of Object.entries(isObject(operation.responses) ? operation.responses : {})) {
        const content = deref(document, rawResponse).content;
        const mediaTypes = isObject(content) ? Object.keys(content) : [];
        if (mediaTypes.length > 1) throw new Error(`${operationId} ${status}: one media type per response`);
        const contentType = mediaTypes[0] ?? null;
        const media = contentType !== null && isObject(content) ? content[contentType] : undefined;
        const isJson = contentType !== null && JSON_MEDIA_TYPES.includes(contentType);
        responses.push({
          status,
          contentType,
          validator: isJson ? `${operationId}Response${status}` : null,
          schema: isJson && isObject(media) ? (media.schema ?? {}) : null,
        });
      }

      const security = (Array.isArray(operation.security) ? operation.security : rootSecurity)
        .filter(isObject)
        .flatMap((requirement) => Object.keys(requirement));
      const query = parameterSchema(params, 'query');
      // An apiKey carried in the query (the stream token) is a query parameter the operation accepts.
      const schemes =
        isObject(document.components) && isObject(document.components.securitySchemes)
          ? document.components.securitySchemes
          : {};
      for (const name of security) {
        const scheme = schemes[name];
        if (isObject(scheme) && scheme.type === 'apiKey' && scheme.in === 'query') {
          (query.properties as JsonObject)[text(scheme.name, `securityScheme ${name} name`)] = {
            type: 'string',
            maxLength: 4096,
          };
        }
      }
      const pathSchema = hasPath ? parameterSchema(params, 'path') : null;
      targets.push({
        operationId,
        method,
        path,
        security,
        query: {
          validator: `${operationId}Query`,
          schema: query,
          types: parameterTypes(document, query, `${operationId} query parameter`),
        },
        pathParams:
          pathSchema === null
            ? null
            : {
                validator: `${operationId}Path`,
                schema: pathSchema,
                types: parameterTypes(document, pathSchema, `${operationId} path parameter`),
              },
        body,
        responses,
      });
    }
  }
  const ids = targets.map((t) => t.operationId);
  const duplicate = ids.find((id, i) => ids.indexOf(id) !== i);
  if (duplicate !== undefined) throw new Error(`operationId "${duplicate}" is used twice`);
  return targets;
}

function messageTargets(document: JsonObject): { messages: MessageTarget[]; channels: ChannelTarget[] } {
  const components = isObject(document.components) ? document.components : {};
  const messages = isObject(components.messages) ? components.messages : {};
  const channels: ChannelTarget[] = [];
  const channelsOf = new Map<string, string[]>();
  for (const [key, rawChannel] of Object.entries(isObject(document.channels) ? document.channels : {})) {
    const channel = deref(document, rawChannel);
    const events: string[] = [];
    for (const rawMessage of Object.values(isObject(channel.messages) ? channel.messages : {})) {
      const ref = isObject(rawMessage) ? rawMessage.$ref : undefined;
      const component = typeof ref === 'string' ? ref.replace('#/components/messages/', '') : '';
      if (!(component in messages)) throw new Error(`channel ${key}: messages must reference #/components/messages`);
      events.push(text(deref(document, messages[component] as Json).name, `message ${component} name`));
      channelsOf.set(component, [...(channelsOf.get(component) ?? []), key]);
    }
    channels.push({ key, address: text(channel.address, `channel ${key} address`), events });
  }
  const targets: MessageTarget[] = [];
  for (const [component, rawMessage] of Object.entries(messages)) {
    const message = deref(document, rawMessage);
    const event = message.name;
    // The event name becomes an SSE `event:` line: it must be a plain identifier.
    if (typeof event !== 'string' || !/^[a-z][a-z0-9_]*$/.test(event)) {
      throw new Error(`message ${component}: "name" must be a snake_case SSE event name`);
    }
    if (message['x-sse-event'] !== event) throw new Error(`message ${component}: x-sse-event must equal name`);
    targets.push({
      event,
      component,
      validator: `${camel(event)}Payload`,
      schema: message.payload ?? {},
      channels: channelsOf.get(component) ?? [],
    });
  }
  return { messages: targets, channels };
}

export type { ChannelTarget, MessageTarget, OperationTarget, ParameterSet, ParameterTypes, ResponseTarget };
export { messageTargets, operationTargets, resolvePointer };
