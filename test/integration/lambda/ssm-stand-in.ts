/**
 * A stand-in for the SSM endpoint on 127.0.0.1, answering GetParameter and GetParameters in
 * SSM's JSON protocol (`application/x-amz-json-1.1`, `X-Amz-Target: AmazonSSM.<Operation>`), so
 * tests run AWS's own client code (SDK and Powertools) against it. Parameters are SecureStrings:
 * without `WithDecryption` the value comes back as ciphertext, as from SSM. `outage` answers
 * every request with a 500, as during a regional incident.
 */
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';

interface SsmRequest {
  readonly operation: string;
  readonly names: readonly string[];
  readonly withDecryption: boolean;
  /** The SDK signs every request (SigV4); a missing signature would mean it was not the SDK. */
  readonly signed: boolean;
}

interface SsmStandIn {
  /** `http://127.0.0.1:<port>`, for AWS_ENDPOINT_URL_SSM or a client's `endpoint`. */
  readonly endpoint: string;
  /** Every request received, in order. */
  readonly requests: SsmRequest[];
  /** Answer every request with 500 InternalServerError while true. */
  outage: boolean;
  /** Creates or overwrites a SecureString (a new version, as `put-parameter --overwrite`). */
  put(name: string, value: string): void;
  /** The requests that asked for `name`. */
  requestsFor(name: string): SsmRequest[];
  close(): Promise<void>;
}

const CONTENT_TYPE = 'application/x-amz-json-1.1';

async function bodyOf(request: IncomingMessage): Promise<Record<string, unknown>> {
  const chunks: Buffer[] = [];
  for await (const chunk of request) chunks.push(chunk as Buffer);
  return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}') as Record<string, unknown>;
}

function answer(response: ServerResponse, status: number, body: unknown): void {
  response.writeHead(status, { 'content-type': CONTENT_TYPE, 'x-amzn-requestid': 'stand-in' });
  response.end(JSON.stringify(body));
}

async function startSsmStandIn(): Promise<SsmStandIn> {
  const parameters = new Map<string, { value: string; version: number }>();
  const requests: SsmRequest[] = [];
  const state = { outage: false };

  const parameterOf = (name: string, withDecryption: boolean) => {
    const stored = parameters.get(name);
    if (stored === undefined) return undefined;
    return {
      Name: name,
      Type: 'SecureString',
      // What SSM returns for a SecureString read without decryption: the KMS ciphertext.
      Value: withDecryption ? stored.value : `AQICAHciphertext${Buffer.from(stored.value).toString('base64')}`,
      Version: stored.version,
      LastModifiedDate: Date.now() / 1000,
      ARN: `arn:aws:ssm:eu-west-1:000000000000:parameter${name.startsWith('/') ? '' : '/'}${name}`,
      DataType: 'text',
    };
  };

  const server = createServer((request, response) => {
    void (async () => {
      const target = String(request.headers['x-amz-target'] ?? '');
      const body = await bodyOf(request);
      const operation = target.replace(/^AmazonSSM\./, '');
      const names = operation === 'GetParameters' ? (body.Names as string[]) : [body.Name as string];
      const withDecryption = body.WithDecryption === true;
      const signed = (request.headers.authorization ?? '').startsWith('AWS4-HMAC-SHA256');
      requests.push({ operation, names, withDecryption, signed });
      if (state.outage) {
        answer(response, 500, { __type: 'InternalServerError', message: 'stand-in outage' });
      } else if (operation === 'GetParameter') {
        const parameter = parameterOf(names[0] ?? '', withDecryption);
        if (parameter === undefined) answer(response, 400, { __type: 'ParameterNotFound', message: '' });
        else answer(response, 200, { Parameter: parameter });
      } else if (operation === 'GetParameters') {
        answer(response, 200, {
          Parameters: names.map((name) => parameterOf(name, withDecryption)).filter((p) => p !== undefined),
          InvalidParameters: names.filter((name) => !parameters.has(name)),
        });
      } else {
        answer(response, 400, { __type: 'UnknownOperationException', message: target });
      }
    })();
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const { port } = server.address() as AddressInfo;

  return {
    endpoint: `http://127.0.0.1:${port}`,
    requests,
    get outage() {
      return state.outage;
    },
    set outage(value: boolean) {
      state.outage = value;
    },
    put: (name, value) => {
      parameters.set(name, { value, version: (parameters.get(name)?.version ?? 0) + 1 });
    },
    requestsFor: (name) => requests.filter((request) => request.names.includes(name)),
    close: async () => {
      // The SDK keeps connections alive; close them, or close() waits for their idle timeout.
      server.closeAllConnections();
      server.close();
      await once(server, 'close');
    },
  };
}

export type { SsmRequest, SsmStandIn };
export { startSsmStandIn };
