/** How the console shows what the API said went wrong: the detail, and field errors when there are any. */
import type { ApiProblem } from '../lib/api';

export function ProblemMessage({ error, title }: { error: ApiProblem | undefined; title?: string }) {
  if (!error) return null;
  const missing = error.problem.missing;
  return (
    <div class="problem" role="alert">
      <strong>{title ?? (error.status === 404 ? 'Not found' : error.status === 403 ? 'Not allowed' : 'Something went wrong')}</strong>
      <p>{error.message}</p>
      {missing && (missing.fields.length > 0 || missing.documents.length > 0 || missing.tasks.length > 0) && (
        <ul class="missing">
          {missing.fields.length > 0 && <li>Fields still needed: {missing.fields.join(', ')}</li>}
          {missing.documents.length > 0 && <li>Documents still needed: {missing.documents.join(', ')}</li>}
          {missing.tasks.length > 0 && <li>Tasks still open: {missing.tasks.join(', ')}</li>}
        </ul>
      )}
      {error.problem.errors && error.problem.errors.length > 0 && !missing && (
        <ul class="errors">
          {error.problem.errors.map((e) => (
            <li key={e.path}>
              <code>{e.path}</code>: {e.message}
            </li>
          ))}
        </ul>
      )}
    </div>
  );
}

export function Loading({ label = 'Loading' }: { label?: string }) {
  return (
    <p class="loading" role="status" aria-live="polite">
      {label}…
    </p>
  );
}
