/**
 * /console/templates/new[?from=key&version=n]: publish a template by pasting its YAML or JSON.
 * The API judges it (POST /v1/templates); this form only shows the verdict where it applies: each
 * problem of a 422 with its path, the line of the text that path leads to, and a button that puts
 * the cursor there. "Publish a new version" on a template's page starts from that version's text.
 */
import { useEffect, useMemo, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, ApiProblem, seg, type ProblemError } from '../../lib/api';
import { isAdmin, useMe } from '../../lib/me';
import { type PublishedTemplate } from '../../lib/types';
import { useApi, useTitle } from '../../lib/use-api';
import { ProblemMessage } from '../../components/problem';
import { leaveNotice } from './notice';
import { convertText, definitionText, locatePath, spotOfMessage, type SourceFormat, type SourceSpot } from './source-lines';

const CONTENT_TYPE: Record<SourceFormat, string> = { yaml: 'application/yaml', json: 'application/json' };
const FORMAT_NAME: Record<SourceFormat, string> = { yaml: 'YAML', json: 'JSON' };

/**
 * The problems of an answer, each with a path: a 422 lists them; a JSON body that does not parse
 * is a 400 malformed_json whose detail names the place, shown like a YAML parse error (path `body`).
 */
function problemErrors(problem: ApiProblem | undefined): ProblemError[] {
  const errors = problem?.problem.errors ?? [];
  if (errors.length === 0 && problem?.code === 'malformed_json') return [{ path: 'body', message: problem.message }];
  return errors;
}

/** Where each problem of the answer is in the text as it reads now (edits above a line move it). */
function spotsFor(text: string, problem: ApiProblem | undefined): Array<{ error: ProblemError; spot: SourceSpot | undefined }> {
  return problemErrors(problem).map((error) => ({
    error,
    spot: error.path === 'body' || error.path === '' ? spotOfMessage(text, error.message) : locatePath(text, error.path),
  }));
}

/** Puts the caret on `spot`'s line, selects it and scrolls the textarea so it shows. */
function goTo(textarea: HTMLTextAreaElement | null, spot: SourceSpot | undefined): void {
  if (!textarea) return;
  textarea.focus();
  if (!spot) return;
  // The line as the text reads now: an edit since may have made it shorter.
  textarea.setSelectionRange(Math.min(spot.lineStart, textarea.value.length), Math.min(spot.lineEnd, textarea.value.length));
  const lineHeight = parseFloat(getComputedStyle(textarea).lineHeight) || 20;
  textarea.scrollTop = Math.max(0, (spot.line - 4) * lineHeight);
}

/** "Line 12, column 4" for the caret: the API and the problem list speak in lines. */
function caretPosition(textarea: HTMLTextAreaElement): { line: number; column: number } {
  const before = textarea.value.slice(0, textarea.selectionStart);
  const line = before.split('\n').length;
  return { line, column: before.length - before.lastIndexOf('\n') };
}

export function PublishTemplate() {
  useTitle('Publish a template');
  const me = useMe();
  const admin = isAdmin(me);
  const { query, route } = useLocation();
  const from = query.from;
  const fromVersion = query.version;
  const source = useApi<PublishedTemplate>(from ? (fromVersion ? `/v1/templates/${seg(from)}/versions/${seg(fromVersion)}` : `/v1/templates/${seg(from)}`) : undefined);

  const [format, setFormat] = useState<SourceFormat>('yaml');
  const [text, setText] = useState('');
  const [edited, setEdited] = useState(false);
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<ApiProblem>();
  const [identical, setIdentical] = useState<PublishedTemplate>();
  const [formatNote, setFormatNote] = useState<string>();
  const [caret, setCaret] = useState({ line: 1, column: 1 });
  const textarea = useRef<HTMLTextAreaElement>(null);
  const problemsRef = useRef<HTMLDivElement>(null);

  // Start from the version asked for, unless the author has typed already.
  useEffect(() => {
    if (source.data && !edited) setText(definitionText(source.data.definition, format));
  }, [source.data]);

  const spots = useMemo(() => spotsFor(text, problem), [text, problem]);
  const listed = problemErrors(problem).length;
  const errorCount = typeof problem?.problem.errorCount === 'number' ? problem.problem.errorCount : listed;

  const changeFormat = (next: SourceFormat) => {
    if (next === format) return;
    const converted = convertText(text, format, next);
    if (converted === undefined) {
      setFormatNote(`The text does not parse as ${FORMAT_NAME[format]}, so it was kept as written; it will be sent as ${FORMAT_NAME[next]}.`);
    } else {
      setText(converted);
      setFormatNote(format === 'yaml' && text.includes('#') ? 'Converted to JSON: YAML comments are not kept.' : undefined);
    }
    setFormat(next);
  };

  const submit = async (e: Event) => {
    e.preventDefault();
    if (!admin || busy) return;
    setBusy(true);
    setProblem(undefined);
    setIdentical(undefined);
    try {
      const res = await api.raw('POST', '/v1/templates', { raw: text, contentType: CONTENT_TYPE[format] });
      const published = (await res.json()) as PublishedTemplate;
      if (res.status === 201) {
        const path = `/console/templates/${seg(published.key)}/versions/${published.version}`;
        leaveNotice(path, `Published version ${published.version} of ${published.name}.`);
        route(path);
        return;
      }
      setIdentical(published);
    } catch (err) {
      setProblem(err instanceof ApiProblem ? err : new ApiProblem({ status: 0, detail: String(err) }));
    } finally {
      setBusy(false);
    }
  };

  // A verdict replaces the form's state: bring it to the reader (and to the keyboard).
  useEffect(() => {
    if (problem || identical) problemsRef.current?.focus();
  }, [problem, identical]);

  const invalid = problem !== undefined && listed > 0;
  const describedBy = ['tpl-source-help', invalid ? 'tpl-problems-title' : ''].filter(Boolean).join(' ');

  return (
    <main id="main" tabIndex={-1} class="tpl tpl-publish">
      <p class="tpl-crumbs">
        <a href="/console/templates">Templates</a> <span aria-hidden="true">›</span>{' '}
        {from && (
          <>
            <a href={`/console/templates/${seg(from)}`}>{source.data?.name ?? from}</a> <span aria-hidden="true">›</span>{' '}
          </>
        )}
        Publish
      </p>
      <h1>{from ? `Publish a new version of ${source.data?.name ?? from}` : 'Publish a template'}</h1>
      {from && source.data && (
        <p class="hint">
          Starting from version {source.data.version}. Publishing the same key makes a new version; cases already running keep theirs.
        </p>
      )}
      <ProblemMessage error={source.error} title="The version to start from could not be loaded" />

      <div ref={problemsRef} tabIndex={-1} class="tpl-verdict">
        {identical && (
          <p class="notice" role="status">
            Identical to version {identical.version}, nothing published.{' '}
            <a href={`/console/templates/${seg(identical.key)}/versions/${identical.version}`}>View version {identical.version}</a>
          </p>
        )}
        {problem && !invalid && <ProblemMessage error={problem} title={problem.status === 403 ? 'Not allowed' : 'Not published'} />}
        {invalid && (
          <div class="problem tpl-problems" role="alert">
            <h2 id="tpl-problems-title">
              Not published: {errorCount} problem{errorCount === 1 ? '' : 's'}
            </h2>
            <p class="hint">Each problem names its place in the template; choose one to go to its line in the text.</p>
            <ol class="tpl-problem-list">
              {spots.map(({ error, spot }, i) => (
                <li key={`${error.path}-${i}`}>
                  <button type="button" class="tpl-problem-link" onClick={() => {
                      goTo(textarea.current, spot);
                      if (textarea.current) setCaret(caretPosition(textarea.current));
                    }}>
                    <code>{error.path || '(the whole template)'}</code>{' '}
                    <span class="tpl-problem-line">
                      {spot ? (spot.exact ? `line ${spot.line}` : `near line ${spot.line}`) : error.path === 'body' || !error.path ? 'the text' : 'not found in the text'}
                    </span>
                  </button>{' '}
                  <span class="tpl-problem-message">{error.message}</span>
                  {spot && (
                    <pre class="tpl-quote" aria-hidden="true">
                      <span class="tpl-quote-line">{spot.line}</span>
                      {spot.text}
                    </pre>
                  )}
                </li>
              ))}
            </ol>
            {errorCount > listed && (
              <p>
                …and {errorCount - listed} more: the API lists the first {listed}. Fix these and publish again to see the rest.
              </p>
            )}
          </div>
        )}
      </div>

      <form onSubmit={submit} class="tpl-form">
        <fieldset class="tpl-format">
          <legend>Format</legend>
          {(['yaml', 'json'] as const).map((f) => (
            <label key={f} class="tpl-radio">
              <input type="radio" name="format" value={f} checked={format === f} onChange={() => changeFormat(f)} /> {FORMAT_NAME[f]}
            </label>
          ))}
        </fieldset>
        {formatNote && (
          <p class="hint" role="status">
            {formatNote}
          </p>
        )}
        <div class="field">
          <label for="tpl-source">Template definition ({FORMAT_NAME[format]})</label>
          <textarea
            id="tpl-source"
            ref={textarea}
            class="tpl-source"
            rows={28}
            spellcheck={false}
            autoComplete="off"
            autoCapitalize="off"
            wrap="off"
            value={text}
            aria-invalid={invalid ? true : undefined}
            aria-describedby={describedBy}
            onInput={(e) => {
              setText((e.target as HTMLTextAreaElement).value);
              setEdited(true);
              setIdentical(undefined);
            }}
            onKeyUp={(e) => setCaret(caretPosition(e.target as HTMLTextAreaElement))}
            onClick={(e) => setCaret(caretPosition(e.target as HTMLTextAreaElement))}
            onSelect={(e) => setCaret(caretPosition(e.target as HTMLTextAreaElement))}
          />
          <div class="tpl-source-foot">
            <p id="tpl-source-help" class="hint">
              Paste or write the whole template: <code>key</code>, <code>name</code>, <code>stages</code> and the rest, as in <code>examples/employee-onboarding.yaml</code>. Tab
              moves on to the next control; indent with spaces.
            </p>
            <p class="hint tpl-caret">
              Line {caret.line}, column {caret.column}
            </p>
          </div>
        </div>
        <div class="tpl-submit">
          <button type="submit" disabled={!admin || busy || !text.trim()} aria-describedby={admin ? undefined : 'tpl-needs-admin'}>
            {busy ? 'Publishing…' : 'Publish'}
          </button>
          {!admin && (
            <p id="tpl-needs-admin" class="tpl-needs-admin">
              Publishing needs the admin role. You are signed in as {me.name}
              {me.roles.length ? ` (roles: ${me.roles.join(', ')})` : ' (no roles)'}; ask an admin to publish this template.
            </p>
          )}
        </div>
      </form>
    </main>
  );
}
