/**
 * Applies an operation's security requirements (from the contract) to a request: the ingest key
 * for ingest, a user for configurations. Stream tokens are checked by the stream routes.
 */
import type { IncomingHttpHeaders } from 'node:http';
import type { Request } from 'express';
import { type Authenticator, KeySetUnavailableError, safeEqual } from '../auth/index.ts';
import { type OperationId, operations } from '../contract/index.ts';
import { ServiceUnavailableError, UnauthorizedError } from './errors.ts';

interface RequestAuth {
  readonly authenticator: Authenticator;
  /** The pipeline's key (INGEST_API_KEY). */
  readonly ingestApiKey: string;
}

type Principal =
  { readonly kind: 'anonymous' } | { readonly kind: 'pipeline' } | { readonly kind: 'user'; readonly userId: string };

const header = (req: Request, name: string): string | undefined => {
  const value = req.headers[name];
  return Array.isArray(value) ? undefined : value;
};

async function authenticateUser(auth: RequestAuth, headers: IncomingHttpHeaders): Promise<Principal> {
  try {
    const outcome = await auth.authenticator.authenticate(headers);
    if (outcome.ok) return { kind: 'user', userId: outcome.userId };
    throw new UnauthorizedError(
      outcome.reason === 'missing'
        ? 'Send Authorization: Bearer <JWT>, or X-User-ID where it is trusted.'
        : outcome.detail,
    );
  } catch (error) {
    // The identity provider's keys could not be fetched: our problem, not the caller's.
    if (error instanceof KeySetUnavailableError) {
      throw new ServiceUnavailableError('Credentials cannot be verified right now.', { retryAfterSeconds: 5 });
    }
    throw error;
  }
}

async function authenticateRequest(auth: RequestAuth, operationId: OperationId, req: Request): Promise<Principal> {
  const security: readonly string[] = operations[operationId].security;
  if (security.length === 0) return { kind: 'anonymous' };
  if (security.includes('ingestApiKey')) {
    const key = header(req, 'x-api-key');
    if (key === undefined || key === '') throw new UnauthorizedError('Send the ingest key in X-API-Key.');
    if (!safeEqual(key, auth.ingestApiKey)) throw new UnauthorizedError('The ingest key is not valid.');
    return { kind: 'pipeline' };
  }
  return authenticateUser(auth, req.headers);
}

export type { Principal, RequestAuth };
export { authenticateRequest, authenticateUser };
