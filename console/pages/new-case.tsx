/**
 * Start a case: without `?template=` a picker of the published templates; with it, a form generated
 * from the template's latest definition (title, required fields, then optional ones). The API is
 * the one validator: the form does not block submission, and each 422 message appears under its
 * input (aria-invalid, aria-describedby), with focus moved to the first input that needs fixing.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { useLocation } from 'preact-iso';
import { api, idempotencyKey, seg, type ApiProblem } from '../lib/api';
import { useApi, useTitle } from '../lib/use-api';
import type { CaseView, FieldDefinition, PublishedTemplate, TemplateList } from '../lib/types';
import { Loading, ProblemMessage } from '../components/problem';
import { FieldInput } from '../components/field-input';
import { apiValueFrom, draftFrom, fieldLabel, isEmptyDraft, type DraftValue } from '../components/field-draft';
import { asProblem, isRetryable } from './case/problems';
import { FormProblem } from '../components/field-problems';
import '../styles/case.css';

interface StartedCase {
  id: string;
  title: string;
  visible?: false;
}

export function NewCase() {
  const { query } = useLocation();
  const templateKey = query.template;
  return (
    <main id="main" tabIndex={-1} class="new-case">
      {templateKey ? <StartForm key={templateKey} templateKey={templateKey} /> : <TemplatePicker />}
    </main>
  );
}

function TemplatePicker() {
  useTitle('Start a case');
  const templates = useApi<TemplateList>('/v1/templates');
  return (
    <>
      <h1>Start a case</h1>
      <p>Choose the kind of case to start.</p>
      {templates.error && <ProblemMessage error={templates.error} title="The templates could not be loaded" />}
      {!templates.data && !templates.error && <Loading label="Loading templates" />}
      {templates.data && templates.data.items.length === 0 && <p>No template is published yet.</p>}
      {templates.data && templates.data.items.length > 0 && (
        <ul class="template-picker">
          {templates.data.items.map((t) => (
            <li key={t.key}>
              <a class="card" href={`/console/cases/new?template=${encodeURIComponent(t.key)}`}>
                <strong>{t.name}</strong> <span class="hint">({t.key}, cases {t.prefix}-…)</span>
              </a>
            </li>
          ))}
        </ul>
      )}
    </>
  );
}

const inputId = (key: string) => `start-field-${key}`;

function StartForm({ templateKey }: { templateKey: string }) {
  const { route } = useLocation();
  const loaded = useApi<PublishedTemplate>(`/v1/templates/${seg(templateKey)}`);
  useTitle(loaded.data ? `Start: ${loaded.data.name}` : 'Start a case');
  if (loaded.error) {
    return (
      <>
        <h1>Start a case</h1>
        <ProblemMessage error={loaded.error} title={loaded.error.status === 404 ? `There is no template "${templateKey}"` : 'The template could not be loaded'} />
        <p>
          <a href="/console/cases/new">Choose another template</a>
        </p>
      </>
    );
  }
  if (!loaded.data) return <Loading label="Loading the template" />;
  return <StartFormFor template={loaded.data} onStarted={(id) => route(`/console/cases/${encodeURIComponent(id)}`)} />;
}

function StartFormFor({ template, onStarted }: { template: PublishedTemplate; onStarted: (id: string) => void }) {
  const fields = template.definition.fields;
  const required = fields.filter((f) => f.required);
  const optional = fields.filter((f) => !f.required);
  const [title, setTitle] = useState('');
  const [drafts, setDrafts] = useState<Record<string, DraftValue>>(() => Object.fromEntries(fields.map((f) => [f.key, draftFrom(f, null)])));
  const [error, setError] = useState<ApiProblem>();
  const [pending, setPending] = useState(false);
  const [hiddenStart, setHiddenStart] = useState<StartedCase>();
  // One key per attempt with the same input: a retry after a lost answer starts the case once.
  const attempt = useRef<{ body: string; key: string } | undefined>(undefined);
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    // After a refusal, take the keyboard to the first input the API named.
    if (!error?.problem.errors?.length) return;
    formRef.current?.querySelector('.field-error')?.closest('.field')?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [error]);

  const titleError = error?.problem.errors?.find((e) => e.path === 'title')?.message;
  const errorFor = (f: FieldDefinition) => error?.errorFor(`fields.${f.key}`);

  const submit = async (e: Event) => {
    e.preventDefault();
    if (pending) return;
    const values: Record<string, unknown> = {};
    for (const f of fields) {
      const draft = drafts[f.key] ?? draftFrom(f, null);
      // Unset optional inputs are left out; an unticked box is a value only when someone ticked it before.
      if (!isEmptyDraft(f, draft) && !(f.type === 'boolean' && draft === false)) values[f.key] = apiValueFrom(f, draft);
    }
    const body = { template: template.key, title, fields: values };
    const identity = JSON.stringify(body);
    if (attempt.current?.body !== identity) attempt.current = { body: identity, key: idempotencyKey() };
    setPending(true);
    setError(undefined);
    try {
      const started = await api.post<CaseView | StartedCase>('/v1/cases', body, { headers: { 'Idempotency-Key': attempt.current.key } });
      attempt.current = undefined;
      if ('visible' in started && started.visible === false) setHiddenStart(started);
      else onStarted(started.id);
    } catch (err) {
      const problem = asProblem(err);
      if (!isRetryable(problem)) attempt.current = undefined;
      setError(problem);
    } finally {
      setPending(false);
    }
  };

  if (hiddenStart) {
    return (
      <>
        <h1>Case started</h1>
        <div class="notice" role="status">
          <p>
            <strong>{hiddenStart.id}</strong> “{hiddenStart.title}” was started. You may start cases of this kind but not see them: its owner and the
            people on it will take it from here.
          </p>
        </div>
        <p>
          <a href={`/console/cases/new?template=${encodeURIComponent(template.key)}`} onClick={() => setHiddenStart(undefined)}>
            Start another
          </a>
        </p>
      </>
    );
  }

  const placedInputs = [
    { path: 'title', label: 'Title', id: 'start-title' },
    ...fields.map((f) => ({ path: `fields.${f.key}`, label: fieldLabel(f), id: f.type === 'multiselect' ? `${inputId(f.key)}-0` : inputId(f.key) })),
  ];
  const fieldInput = (f: FieldDefinition) => (
    <FieldInput
      key={f.key}
      field={f}
      id={inputId(f.key)}
      value={drafts[f.key] ?? draftFrom(f, null)}
      error={errorFor(f)}
      onChange={(v) => setDrafts((d) => ({ ...d, [f.key]: v }))}
    />
  );

  return (
    <>
      <p class="breadcrumb">
        <a href="/console/cases/new">Start a case</a> › {template.name}
      </p>
      <h1>Start a case: {template.name}</h1>
      {template.definition.description && <p class="hint">{template.definition.description}</p>}
      <form ref={formRef} class="start-form card" noValidate onSubmit={submit} aria-labelledby="start-form-title">
        <h2 id="start-form-title" class="visually-hidden">
          New {template.name} case
        </h2>
        <div class="field">
          <label for="start-title">
            Title
            <span class="required-mark" aria-hidden="true">
              {' '}*
            </span>
          </label>
          <input
            id="start-title"
            name="title"
            type="text"
            required
            maxLength={300}
            autoComplete="off"
            value={title}
            aria-invalid={titleError ? 'true' : undefined}
            aria-describedby={titleError ? 'start-title-error' : undefined}
            onInput={(e) => setTitle(e.currentTarget.value)}
          />
          {titleError && (
            <p id="start-title-error" class="field-error">
              {titleError}
            </p>
          )}
        </div>
        {required.length > 0 && (
          <section aria-labelledby="start-required">
            <h3 id="start-required">Required</h3>
            {required.map(fieldInput)}
          </section>
        )}
        {optional.length > 0 && (
          <section aria-labelledby="start-optional">
            <h3 id="start-optional">Optional</h3>
            {optional.map(fieldInput)}
          </section>
        )}
        {error && <FormProblem error={error} title={error.status === 422 ? 'Please check the marked fields' : 'The case was not started'} inputs={placedInputs} />}
        <div class="form-actions">
          <button type="submit" disabled={pending}>
            {pending ? 'Starting…' : 'Start case'}
          </button>
          <a href="/console/cases/new" class="button secondary">
            Cancel
          </a>
        </div>
      </form>
    </>
  );
}
