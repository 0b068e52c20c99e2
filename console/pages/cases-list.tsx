/**
 * The cases list (/console/cases): every filter, the sort and the page live in the URL, so a
 * list can be bookmarked, shared, reloaded and walked with the back button; saved views store
 * the same parameters per user. Paging follows the API's keyset cursors: the cursors of the
 * pages walked so far are remembered, so "Previous page" goes back one page (a bookmarked page
 * with no known trail goes back to the first).
 */
import { useEffect, useMemo, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiProblem, queryString, seg } from '../lib/api';
import { formatDateTime, formatRelative } from '../lib/format';
import { useMe } from '../lib/me';
import { useApi, useTitle } from '../lib/use-api';
import type { PublishedTemplate, TemplateList } from '../lib/types';
import { Loading, ProblemMessage } from '../components/problem';
import { DueBadge, StalledBadge, StatusBadge } from '../components/case-badges';
import { SavedViews } from '../components/list-views';
import { CASE_QUERY_KEYS, type CaseItemList, type SavedViewList } from '../components/list-types';
import '../styles/list.css';

const PAGE_SIZE = 50;
const DEFAULT_SORT = '-createdAt';

/** Sortable columns: the API's sort key and the direction a first click sorts in (newest first for times). */
const SORTABLE: Record<string, { key: string; firstDescending: boolean }> = {
  key: { key: 'key', firstDescending: false },
  title: { key: 'title', firstDescending: false },
  due: { key: 'dueAt', firstDescending: false },
  updated: { key: 'updatedAt', firstDescending: true },
  created: { key: 'createdAt', firstDescending: true },
};

/** The list's filters and sort from the URL: only GET /v1/cases parameters, and no empty ones. */
function filtersFrom(query: Record<string, string>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const k of CASE_QUERY_KEYS) {
    const v = query[k]?.trim();
    if (v) out[k] = v;
  }
  return out;
}

function SortHeader({ label, column, sort, onSort, class: className }: { label: string; column: string; sort: string; onSort: (sort: string) => void; class?: string }) {
  const spec = SORTABLE[column];
  if (!spec) return <th scope="col">{label}</th>;
  const active = sort === spec.key || sort === `-${spec.key}`;
  const descending = sort.startsWith('-');
  const next = active ? (descending ? spec.key : `-${spec.key}`) : spec.firstDescending ? `-${spec.key}` : spec.key;
  return (
    <th scope="col" class={className} aria-sort={active ? (descending ? 'descending' : 'ascending') : undefined}>
      <button type="button" class="link sort" onClick={() => onSort(next)}>
        {label}
        <span aria-hidden="true" class="sort-mark">
          {active ? (descending ? ' ▼' : ' ▲') : ' ↕'}
        </span>
      </button>
    </th>
  );
}

export function CasesList() {
  const { query, route } = useLocation();
  const me = useMe();
  useTitle('Cases');
  const filters = useMemo(() => filtersFrom(query), [query]);
  const filtersKey = queryString(filters);
  const cursor = query.cursor ?? '';
  const sort = filters.sort ?? DEFAULT_SORT;

  const list = useApi<CaseItemList>(`/v1/cases${queryString({ ...filters, cursor, limit: PAGE_SIZE })}`);
  const templates = useApi<TemplateList>('/v1/templates');
  const template = useApi<PublishedTemplate>(filters.template ? `/v1/templates/${seg(filters.template)}` : undefined);
  const views = useApi<SavedViewList>('/v1/views');

  // Text inputs apply on submit (not on every key); selects apply at once. Both start from the URL.
  const [q, setQ] = useState(filters.q ?? '');
  const [owner, setOwner] = useState(filters.owner ?? '');
  useEffect(() => setQ(filters.q ?? ''), [filters.q]);
  useEffect(() => setOwner(filters.owner ?? ''), [filters.owner]);

  // The cursors of the pages walked under the current filters ('' is the first page).
  const [trail, setTrail] = useState<{ filtersKey: string; cursors: string[] }>({ filtersKey, cursors: [''] });
  const cursors = trail.filtersKey === filtersKey ? trail.cursors : [''];
  const pageIndex = cursors.lastIndexOf(cursor);

  const go = (next: Record<string, string | undefined>, nextCursor?: string) => {
    const merged: Record<string, string | undefined> = { ...next, cursor: nextCursor || undefined };
    route(`/console/cases${queryString(merged)}`);
  };
  const setFilter = (changes: Record<string, string | undefined>) => {
    // Text typed but not yet applied goes along: changing a select should not lose it.
    go({ ...filters, q: q.trim() || undefined, owner: owner.trim() || undefined, ...changes });
  };

  const nextPage = () => {
    const next = list.data?.nextCursor;
    if (!next) return;
    const walked = pageIndex >= 0 ? cursors.slice(0, pageIndex + 1) : ['', cursor];
    setTrail({ filtersKey, cursors: [...walked, next] });
    go(filters, next);
  };
  const previousPage = () => go(filters, pageIndex > 0 ? cursors[pageIndex - 1] : undefined);

  // Export: the current filters and sort (not the page) as CSV, fetched with the token, saved through a blob URL.
  const [exporting, setExporting] = useState(false);
  const [exportError, setExportError] = useState<ApiProblem | undefined>();
  const exportCsv = async () => {
    setExporting(true);
    setExportError(undefined);
    try {
      const res = await api.raw('GET', `/v1/cases${queryString(filters)}`, { headers: { Accept: 'text/csv' } });
      const blob = await res.blob();
      const name = /filename="([^"]+)"/.exec(res.headers.get('Content-Disposition') ?? '')?.[1] ?? 'cases.csv';
      const url = URL.createObjectURL(blob);
      const link = document.createElement('a');
      link.href = url;
      link.download = name;
      document.body.append(link);
      link.click();
      link.remove();
      // The download has started from the URL by now; give the browser a moment before freeing it.
      setTimeout(() => URL.revokeObjectURL(url), 10_000);
    } catch (err) {
      setExportError(err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) }));
    } finally {
      setExporting(false);
    }
  };

  const templateNames = new Map(templates.data?.items.map((t) => [t.key, t.name]) ?? []);
  const stageDefs = filters.template ? (template.data?.definition.stages ?? []) : [];
  const stageNames = new Map(stageDefs.map((s) => [s.key, s.name ?? s.key]));
  const anyFilter = Object.keys(filters).some((k) => k !== 'sort');

  return (
    <main id="main" tabIndex={-1} class="cases-list">
      <h1>Cases</h1>
      <form
        class="list-filters"
        role="search"
        aria-label="Filter cases"
        onSubmit={(e) => {
          e.preventDefault();
          setFilter({});
        }}
      >
        <div class="filter">
          <label for="f-q">Search</label>
          <input id="f-q" type="search" value={q} maxLength={200} placeholder="Key, title or field value" onInput={(e) => setQ((e.currentTarget as HTMLInputElement).value)} />
        </div>
        <div class="filter">
          <label for="f-template">Template</label>
          <select id="f-template" value={filters.template ?? ''} onChange={(e) => setFilter({ template: (e.currentTarget as HTMLSelectElement).value || undefined, stage: undefined })}>
            <option value="">Any template</option>
            {templates.data?.items.map((t) => (
              <option key={t.key} value={t.key}>
                {t.name}
              </option>
            ))}
            {/* A bookmarked template this user cannot list still shows what is filtered. */}
            {filters.template && templates.data && !templateNames.has(filters.template) && <option value={filters.template}>{filters.template}</option>}
          </select>
        </div>
        <div class="filter">
          <label for="f-stage">Stage</label>
          <select
            id="f-stage"
            value={filters.stage ?? ''}
            disabled={!filters.template}
            aria-describedby={!filters.template ? 'f-stage-hint' : undefined}
            onChange={(e) => setFilter({ stage: (e.currentTarget as HTMLSelectElement).value || undefined })}
          >
            <option value="">Any stage</option>
            {stageDefs.map((s) => (
              <option key={s.key} value={s.key}>
                {s.name ?? s.key}
              </option>
            ))}
            {filters.stage && !stageNames.has(filters.stage) && <option value={filters.stage}>{filters.stage}</option>}
          </select>
          {!filters.template && (
            <span id="f-stage-hint" class="hint">
              Choose a template first
            </span>
          )}
        </div>
        <SelectFilter id="f-status" label="Status" value={filters.status} onChange={(status) => setFilter({ status })} options={[['', 'Any status'], ['open', 'Open'], ['closed', 'Closed'], ['cancelled', 'Cancelled']]} />
        <SelectFilter id="f-overdue" label="Due" value={filters.overdue} onChange={(overdue) => setFilter({ overdue })} options={[['', 'Overdue or not'], ['true', 'Overdue only'], ['false', 'Not overdue']]} />
        <SelectFilter id="f-stalled" label="Activity" value={filters.stalled} onChange={(stalled) => setFilter({ stalled })} options={[['', 'Stalled or not'], ['true', 'Stalled only'], ['false', 'Not stalled']]} />
        <div class="filter">
          <label for="f-owner">Owner</label>
          <input id="f-owner" value={owner} maxLength={200} aria-describedby="f-owner-hint" onInput={(e) => setOwner((e.currentTarget as HTMLInputElement).value)} />
          <span id="f-owner-hint" class="hint">
            A user id (yours: <code>{me.id}</code>)
          </span>
        </div>
        <div class="filter-actions">
          <button type="submit">Apply filters</button>
          {anyFilter && (
            <a class="button secondary" href={`/console/cases${queryString({ sort: filters.sort })}`}>
              Clear filters
            </a>
          )}
        </div>
      </form>
      <SavedViews views={views} current={filters} />
      <div class="list-export">
        <button type="button" class="secondary" onClick={() => void exportCsv()} disabled={exporting} aria-describedby="export-hint">
          {exporting ? 'Exporting…' : 'Export CSV'}
        </button>{' '}
        <span id="export-hint" class="hint">
          Every case matching the filters, in this order{filters.template ? ', with the template’s fields' : ''}
        </span>
      </div>
      <ProblemMessage error={exportError} title="Could not export the cases" />

      <ProblemMessage error={list.error} title="Could not load the cases" />
      {list.error?.errorFor('cursor') && (
        <p>
          <a href={`/console/cases${queryString(filters)}`}>Back to the first page</a>
        </p>
      )}
      <p class="list-status" role="status" aria-live="polite">
        {list.data
          ? `${list.data.items.length === 0 ? 'No cases match' : list.data.items.length === 1 ? '1 case' : `${list.data.items.length} cases`}${pageIndex > 0 || (cursor && pageIndex < 0) ? ` · page ${pageIndex >= 0 ? pageIndex + 1 : 'further'}` : ''}${list.data.nextCursor ? ' · more on the next page' : ''}`
          : ''}
      </p>
      {!list.data && !list.error && <Loading label="Loading cases" />}
      {list.data && list.data.items.length > 0 && (
        <div class="table-scroll">
          <table class="cases-table">
            <caption class="visually-hidden">Cases matching the filters</caption>
            <thead>
              <tr>
                <SortHeader label="Key" column="key" sort={sort} onSort={(s) => setFilter({ sort: s })} />
                <SortHeader label="Title" column="title" sort={sort} onSort={(s) => setFilter({ sort: s })} />
                <th scope="col" class="col-wide">
                  Template
                </th>
                <th scope="col">Stage</th>
                <th scope="col">Status</th>
                <th scope="col">Owner</th>
                <SortHeader label="Due" column="due" sort={sort} onSort={(s) => setFilter({ sort: s })} />
                <th scope="col" class="num">
                  Open tasks
                </th>
                <SortHeader label="Updated" column="updated" sort={sort} onSort={(s) => setFilter({ sort: s })} />
                <SortHeader label="Created" column="created" sort={sort} onSort={(s) => setFilter({ sort: s })} class="col-wide" />
              </tr>
            </thead>
            <tbody>
              {list.data.items.map((c) => (
                <tr key={c.id} class={c.overdue ? 'overdue' : undefined}>
                  <td class="key">
                    <a href={`/console/cases/${seg(c.id)}`}>{c.id}</a>
                  </td>
                  <td class="title">
                    {c.title} <StalledBadge stalled={c.stalled} />
                  </td>
                  <td class="col-wide">{templateNames.get(c.template.key) ?? c.template.key}</td>
                  <td>{(filters.template === c.template.key && stageNames.get(c.stage)) || c.stage}</td>
                  <td>
                    <StatusBadge status={c.status} />
                  </td>
                  <td>{c.owner ?? <span class="hint">—</span>}</td>
                  <td>
                    <DueBadge dueAt={c.dueAt} overdue={c.overdue} empty="—" />
                  </td>
                  <td class="num">{c.openTasks ?? '—'}</td>
                  <td class="when">
                    {/* Relative keeps the column narrow; the exact time (browser time zone) is in the tooltip. */}
                    <time dateTime={c.updatedAt} title={formatDateTime(c.updatedAt)}>
                      {formatRelative(c.updatedAt)}
                    </time>
                  </td>
                  <td class="col-wide when">
                    <time dateTime={c.createdAt}>{formatDateTime(c.createdAt)}</time>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
      <nav class="pager" aria-label="Pages">
        <button type="button" class="secondary" disabled={!cursor} onClick={previousPage}>
          Previous page
        </button>
        <button type="button" class="secondary" disabled={!list.data?.nextCursor} onClick={nextPage}>
          Next page
        </button>
      </nav>
    </main>
  );
}

/** One labelled filter whose choices are fixed; '' is "any" and leaves the parameter out. */
function SelectFilter(props: { id: string; label: string; value: string | undefined; options: Array<[string, string]>; onChange: (value: string | undefined) => void }) {
  return (
    <div class="filter">
      <label for={props.id}>{props.label}</label>
      <select id={props.id} value={props.value ?? ''} onChange={(e) => props.onChange((e.currentTarget as HTMLSelectElement).value || undefined)}>
        {props.options.map(([value, text]) => (
          <option key={value} value={value}>
            {text}
          </option>
        ))}
      </select>
    </div>
  );
}
