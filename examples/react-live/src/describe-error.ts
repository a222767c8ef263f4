/** Any failure the app can meet, as one line for the page. */
import { StreamLimitError, StreamRefusedError } from 'tickerpulse/client';

function describeError(error: unknown): string {
  if (error instanceof StreamRefusedError) {
    return `refused with ${error.status}${error.problem === undefined ? '' : `: ${error.problem.title}`}`;
  }
  if (error instanceof StreamLimitError) return `an event over ${error.limit} characters`;
  // fetch rejects with a bare TypeError for an unreachable server and for an answer CORS withholds
  // (the browser does not tell the page which; its console does).
  if (error instanceof TypeError) return `${error.message} (the API is unreachable, or CORS refused this origin)`;
  if (error instanceof Error) return error.message;
  return String(error);
}

export { describeError };
