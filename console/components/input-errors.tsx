/**
 * A form's inputs and the API's 422 `errors`: which message belongs to an input (by its path, or
 * the same path under a prefix such as `participant.`), the attributes that tie the input to its
 * message for screen readers, and the message under the input.
 */
import type { ApiProblem } from '../lib/api';

export function inputErrors(error: ApiProblem | undefined, prefix?: string) {
  const errorOf = (path: string) => error?.problem.errors?.find((e) => e.path === path || (prefix !== undefined && e.path === `${prefix}.${path}`))?.message;
  /** Spread on the input: `<input {...attrs('task-title', 'title')} …>`. */
  const attrs = (id: string, path: string) => ({
    id,
    'aria-invalid': errorOf(path) ? ('true' as const) : undefined,
    'aria-describedby': errorOf(path) ? `${id}-error` : undefined,
  });
  /** The message under the input, when the API gave one. */
  const errorLine = (id: string, path: string) =>
    errorOf(path) && (
      <p id={`${id}-error`} class="field-error">
        {errorOf(path)}
      </p>
    );
  return { errorOf, attrs, errorLine };
}
