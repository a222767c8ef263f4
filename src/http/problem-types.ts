/**
 * Every problem type this service answers with, its title and its status: the one place they are
 * spelled. Clients branch on `type`, so a type once published keeps its spelling here.
 */

interface ProblemKind {
  /** Stable problem type URI (a relative reference). */
  readonly type: `/problems/${string}`;
  readonly title: string;
  readonly status: number;
}

const PROBLEM_TYPES = {
  invalidRequest: { type: '/problems/invalid-request', title: 'Invalid request', status: 400 },
  malformedJson: { type: '/problems/malformed-json', title: 'Malformed JSON', status: 400 },
  cursorExpired: { type: '/problems/cursor-expired', title: 'Cursor expired', status: 400 },
  /** Node refused the bytes as HTTP/1.1 (client-error.ts); titles there are the reason phrases. */
  malformedRequest: { type: '/problems/malformed-request', title: 'Bad Request', status: 400 },
  /** An SSE operation asked of a host that serves no streams (the REST Lambda). */
  streamServedElsewhere: {
    type: '/problems/stream-served-elsewhere',
    title: 'Stream served elsewhere',
    status: 400,
  },
  unauthorized: { type: '/problems/unauthorized', title: 'Unauthorized', status: 401 },
  notFound: { type: '/problems/not-found', title: 'Not found', status: 404 },
  methodNotAllowed: { type: '/problems/method-not-allowed', title: 'Method not allowed', status: 405 },
  notAcceptable: { type: '/problems/not-acceptable', title: 'Not acceptable', status: 406 },
  requestTimeout: { type: '/problems/request-timeout', title: 'Request Timeout', status: 408 },
  conflict: { type: '/problems/conflict', title: 'Conflict', status: 409 },
  ingestInProgress: { type: '/problems/ingest-in-progress', title: 'Ingest in progress', status: 409 },
  payloadTooLarge: { type: '/problems/payload-too-large', title: 'Payload too large', status: 413 },
  unsupportedMediaType: { type: '/problems/unsupported-media-type', title: 'Unsupported media type', status: 415 },
  headersTooLarge: {
    type: '/problems/headers-too-large',
    title: 'Request Header Fields Too Large',
    status: 431,
  },
  internal: { type: '/problems/internal', title: 'Internal server error', status: 500 },
  unavailable: { type: '/problems/unavailable', title: 'Service unavailable', status: 503 },
  atCapacity: { type: '/problems/at-capacity', title: 'At capacity', status: 503 },
} as const satisfies Readonly<Record<string, ProblemKind>>;

type ProblemName = keyof typeof PROBLEM_TYPES;
/** The kinds of one status, e.g. `ProblemOfStatus<400>` for the 400 variants. */
type ProblemOfStatus<S extends number> = Extract<(typeof PROBLEM_TYPES)[ProblemName], { readonly status: S }>;

export type { ProblemKind, ProblemName, ProblemOfStatus };
export { PROBLEM_TYPES };
