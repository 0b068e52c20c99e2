/**
 * Saved views of the cases list: a user's named filter-and-sort combinations (GET/PUT/DELETE
 * /v1/views). A view is just a list URL, so applying one is following a link (and it can be
 * bookmarked or opened in a new tab); saving under an existing name replaces that view.
 */
import { useState } from 'preact/hooks';
import { api, ApiProblem, queryString, seg } from '../lib/api';
import type { Loaded } from '../lib/use-api';
import { ProblemMessage } from './problem';
import type { SavedView, SavedViewList } from './list-types';

export const viewHref = (query: Record<string, string>) => `/console/cases${queryString(query)}`;

/** Two queries are the same view when they have the same non-empty parameters. */
export function sameQuery(a: Record<string, string>, b: Record<string, string>): boolean {
  const norm = (q: Record<string, string>) =>
    Object.entries(q)
      .filter(([, v]) => v !== '')
      .sort(([x], [y]) => (x < y ? -1 : x > y ? 1 : 0))
      .map(([k, v]) => `${k}=${v}`)
      .join('&');
  return norm(a) === norm(b);
}

export function SavedViews({ views, current }: { views: Loaded<SavedViewList>; current: Record<string, string> }) {
  const [name, setName] = useState('');
  const [error, setError] = useState<ApiProblem | undefined>();
  const [nameError, setNameError] = useState<string | undefined>();
  const [status, setStatus] = useState('');
  const [busy, setBusy] = useState(false);
  const items = views.data?.items ?? [];

  const save = async (e: Event) => {
    e.preventDefault();
    const trimmed = name.trim();
    if (!trimmed) return setNameError('Give the view a name.');
    if (trimmed.length > 100) return setNameError('At most 100 characters.');
    setBusy(true);
    setError(undefined);
    try {
      const replacing = items.some((v) => v.name === trimmed);
      await api.put<SavedView>(`/v1/views/${seg(trimmed)}`, { query: current });
      setStatus(replacing ? `View “${trimmed}” replaced.` : `View “${trimmed}” saved.`);
      setName('');
      await views.reload();
    } catch (err) {
      setError(err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) }));
    } finally {
      setBusy(false);
    }
  };

  const remove = async (view: SavedView) => {
    setError(undefined);
    try {
      await api.delete(`/v1/views/${seg(view.name)}`);
      setStatus(`View “${view.name}” deleted.`);
      await views.reload();
    } catch (err) {
      setError(err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) }));
    }
  };

  return (
    <section class="saved-views" aria-labelledby="saved-views-title">
      <h2 id="saved-views-title">Saved views</h2>
      {views.error && !views.data && <ProblemMessage error={views.error} title="Could not load your saved views" />}
      {views.data && items.length === 0 && <p class="hint no-views">None yet: set filters and a sort, then save them.</p>}
      {items.length > 0 && (
        <ul class="view-list">
          {items.map((v) => (
            <li key={v.name}>
              <a href={viewHref(v.query)} aria-current={sameQuery(v.query, current) ? 'true' : undefined}>
                {v.name}
              </a>
              <button type="button" class="link" onClick={() => void remove(v)}>
                Delete<span class="visually-hidden"> view {v.name}</span>
              </button>
            </li>
          ))}
        </ul>
      )}
      <form class="save-view" onSubmit={save} noValidate>
        <label for="view-name">View name</label>
        <input
          id="view-name"
          value={name}
          maxLength={100}
          aria-invalid={nameError ? true : undefined}
          aria-describedby={nameError ? 'view-name-error' : undefined}
          onInput={(e) => {
            setName((e.currentTarget as HTMLInputElement).value);
            setNameError(undefined);
          }}
        />
        <button type="submit" class="secondary" disabled={busy}>
          Save this view
        </button>
        {nameError && (
          <p id="view-name-error" class="field-error">
            {nameError}
          </p>
        )}
      </form>
      <p class="hint view-status" role="status" aria-live="polite">
        {status}
      </p>
      <ProblemMessage error={error} title="Could not change your saved views" />
    </section>
  );
}
