/**
 * The summary above a form's submit button when the API refused some of its fields: each problem
 * named by the input's label and linked to it (the link moves focus there), the others as the API
 * gave them. The same messages sit under their inputs; this list is what a screen reader hears
 * first (role="alert").
 */
import type { ApiProblem } from '../lib/api';
import { ProblemMessage } from './problem';

export interface PlacedInput {
  /** The API's error path for this input (`fields.salary`, `title`). */
  path: string;
  label: string;
  /** The id of the input (or its group) on the page. */
  id: string;
}

export function FormProblem({ error, title, inputs }: { error: ApiProblem; title: string; inputs: PlacedInput[] }) {
  const errors = error.problem.errors ?? [];
  const placed = errors.flatMap((e) => {
    const input = inputs.find((i) => i.path === e.path);
    return input ? [{ input, message: e.message }] : [];
  });
  if (placed.length === 0) return <ProblemMessage error={error} title={title} />;
  const others = errors.filter((e) => !inputs.some((i) => i.path === e.path));
  return (
    <div class="problem" role="alert">
      <strong>{title}</strong>
      <ul class="errors">
        {placed.map(({ input, message }) => (
          <li key={input.path}>
            <a href={`#${input.id}`}>{input.label}</a>: {message}
          </li>
        ))}
        {others.map((e) => (
          <li key={e.path}>
            <code>{e.path}</code>: {e.message}
          </li>
        ))}
      </ul>
    </div>
  );
}
