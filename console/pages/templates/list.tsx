/** /console/templates: every published template (its latest version), with where to go from each. */
import { seg } from '../../lib/api';
import { formatDateTime, browserTimeZone } from '../../lib/format';
import { isAdmin, useMe } from '../../lib/me';
import { type TemplateList } from '../../lib/types';
import { useApi, useTitle } from '../../lib/use-api';
import { Loading, ProblemMessage } from '../../components/problem';

export function TemplatesPage() {
  useTitle('Templates');
  const me = useMe();
  const { data, error, loading } = useApi<TemplateList>('/v1/templates');
  const items = data ? [...data.items].sort((a, b) => a.name.localeCompare(b.name)) : [];

  return (
    <main id="main" tabIndex={-1} class="tpl">
      <div class="tpl-head">
        <h1>Templates</h1>
        <div class="tpl-actions">
          <a class="button" href="/console/templates/new" aria-describedby={isAdmin(me) ? undefined : 'tpl-publish-role'}>
            Publish a template
          </a>
        </div>
      </div>
      {!isAdmin(me) && (
        <p id="tpl-publish-role" class="hint">
          Publishing needs the admin role; you can read every template.
        </p>
      )}
      <ProblemMessage error={error} />
      {loading && !data && <Loading label="Loading templates" />}
      {data && items.length === 0 && (
        <p class="tpl-empty">
          No template is published yet. {isAdmin(me) ? <a href="/console/templates/new">Publish the first one</a> : 'An admin publishes them.'}
        </p>
      )}
      {items.length > 0 && (
        <div class="tpl-table-wrap">
          <table class="tpl-list">
            <caption class="visually-hidden">Published templates, latest version of each</caption>
            <thead>
              <tr>
                <th scope="col">Name</th>
                <th scope="col">Key</th>
                <th scope="col">Case prefix</th>
                <th scope="col">Latest version</th>
                <th scope="col">
                  Published <span class="tpl-tz">({browserTimeZone})</span>
                </th>
                <th scope="col">
                  <span class="visually-hidden">Links</span>
                </th>
              </tr>
            </thead>
            <tbody>
              {items.map((t) => (
                <tr key={t.key}>
                  <th scope="row">
                    <a href={`/console/templates/${seg(t.key)}`}>{t.name}</a>
                  </th>
                  <td>
                    <code>{t.key}</code>
                  </td>
                  <td>
                    <code>{t.prefix}</code>
                  </td>
                  <td>
                    <a href={`/console/templates/${seg(t.key)}/versions/${t.latestVersion}`} aria-label={`${t.name}, version ${t.latestVersion}`}>
                      Version {t.latestVersion}
                    </a>
                  </td>
                  <td>
                    <time dateTime={t.publishedAt}>{formatDateTime(t.publishedAt)}</time>
                  </td>
                  <td class="tpl-row-links">
                    <a href={`/console/boards/${seg(t.key)}`} aria-label={`Board of ${t.name}`}>
                      Board
                    </a>
                    <a href={`/console/cases/new?template=${seg(t.key)}`} aria-label={`Start a case: ${t.name}`}>
                      Start a case
                    </a>
                  </td>
                </tr>
              ))}
            </tbody>
          </table>
        </div>
      )}
    </main>
  );
}
