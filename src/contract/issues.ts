/**
 * Turns ajv errors into the `errors` entries of a 400 problem: where (`location`), which input
 * (a JSON Pointer) and what is wrong, phrased for the API user rather than for a schema author.
 */
import type { ErrorObject } from 'ajv';
import type { components } from '../../generated/openapi/schema.d.ts';

type ValidationIssue = NonNullable<components['schemas']['Problem']['errors']>[number];
type IssueLocation = ValidationIssue['location'];

/** The outcome of checking input against the contract. */
type Parsed<T> = { readonly ok: true; readonly value: T } | { readonly ok: false; readonly issues: ValidationIssue[] };

/** The Problem schema caps `errors` at 100 entries; a huge invalid batch still gets a valid answer. */
const MAX_ISSUES = 100;

const escapePointer = (key: string): string => key.replaceAll('~', '~0').replaceAll('/', '~1');

function describe(error: ErrorObject): { pointer: string; message: string } {
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'required':
      return {
        pointer: `${error.instancePath}/${escapePointer(String(params.missingProperty))}`,
        message: 'is required',
      };
    case 'additionalProperties':
      return {
        pointer: `${error.instancePath}/${escapePointer(String(params.additionalProperty))}`,
        message: 'is not allowed here (unknown field)',
      };
    case 'enum':
      return {
        pointer: error.instancePath,
        message: `must be one of: ${(params.allowedValues as unknown[]).map(String).join(', ')}`,
      };
    case 'pattern':
      return { pointer: error.instancePath, message: 'has characters or a shape that is not allowed' };
    default:
      return { pointer: error.instancePath, message: error.message ?? `fails ${error.keyword}` };
  }
}

/** One issue per distinct (pointer, message), in ajv's order, at most {@link MAX_ISSUES}. */
function toIssues(location: IssueLocation, errors: readonly ErrorObject[] | null | undefined): ValidationIssue[] {
  const seen = new Set<string>();
  const issues: ValidationIssue[] = [];
  for (const error of errors ?? []) {
    // `propertyNames` reports the offending key through a nested error; the outer one adds nothing.
    // Nor does `if`: the generator puts costly keywords behind size limits with if/then, and the
    // keyword that failed inside `then` has its own error.
    if (['propertyNames', 'oneOf', 'anyOf', 'if'].includes(error.keyword)) continue;
    const { pointer, message } = describe(error);
    const key = `${pointer}\n${message}`;
    if (seen.has(key)) continue;
    seen.add(key);
    issues.push({ location, pointer: pointer.slice(0, 500), message: message.slice(0, 500) });
    if (issues.length === MAX_ISSUES) break;
  }
  if (issues.length === 0 && (errors?.length ?? 0) > 0) {
    issues.push({ location, pointer: '', message: 'does not match the contract' });
  }
  return issues;
}

export type { IssueLocation, Parsed, ValidationIssue };
export { MAX_ISSUES, toIssues };
