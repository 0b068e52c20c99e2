/**
 * The case's fields as a form typed from the template. What the current stage still needs is
 * marked on its inputs and listed above them; Save sends only what changed (PATCH …/fields) and
 * the API's messages appear under their inputs. A value the reader may not see is "Hidden" and
 * not editable. When the case changes underneath (another session, an automation), untouched
 * inputs take the new values while edits in progress are kept.
 */
import { useEffect, useRef, useState } from 'preact/hooks';
import { FormProblem } from '../../components/field-problems';
import { FieldInput, HiddenField } from '../../components/field-input';
import { apiValueFrom, displayValue, draftFrom, fieldLabel, isUnchanged, type DraftValue } from '../../components/field-draft';
import { isRedacted } from '../../lib/types';
import { useCase } from './context';
import { useCommand } from './command';
import { api } from '../../lib/api';

const inputId = (key: string) => `case-field-${key}`;

export function FieldsSection() {
  const { view, template, caseUrl } = useCase();
  const cmd = useCommand();
  const fields = template.fields;
  const draftsOf = () => Object.fromEntries(fields.map((f) => [f.key, draftFrom(f, view.fields[f.key])]));
  const [drafts, setDrafts] = useState<Record<string, DraftValue>>(draftsOf);
  const touched = useRef(new Set<string>());
  const [status, setStatus] = useState<string>();
  const formRef = useRef<HTMLFormElement>(null);

  useEffect(() => {
    const fresh = draftsOf();
    setDrafts((old) => Object.fromEntries(fields.map((f) => [f.key, touched.current.has(f.key) ? (old[f.key] ?? fresh[f.key]!) : fresh[f.key]!])));
  }, [view.lastSeq]);

  useEffect(() => {
    if (cmd.error?.problem.errors?.length) formRef.current?.querySelector('.field-error')?.closest('.field')?.querySelector<HTMLElement>('input, select, textarea')?.focus();
  }, [cmd.error]);

  const editable = view.allowed.act;
  const missing = new Set(view.stage.missing.fields);
  const neededNote = `Needed to leave ${view.stage.name}`;

  if (!editable) {
    return (
      <section class="card case-section" aria-labelledby="fields-title">
        <h2 id="fields-title">Fields</h2>
        <dl class="field-values">
          {fields.map((f) => (
            <div key={f.key} class={missing.has(f.key) ? 'needed' : undefined}>
              <dt>{fieldLabel(f)}</dt>
              <dd>
                {displayValue(f, view.fields[f.key])}
                {missing.has(f.key) && <span class="needed-note"> ({neededNote})</span>}
              </dd>
            </div>
          ))}
        </dl>
      </section>
    );
  }

  const save = async (e: Event) => {
    e.preventDefault();
    setStatus(undefined);
    const values: Record<string, unknown> = {};
    for (const f of fields) {
      const draft = drafts[f.key];
      if (draft === undefined || isRedacted(view.fields[f.key]) || isUnchanged(f, draft, view.fields[f.key])) continue;
      values[f.key] = apiValueFrom(f, draft);
    }
    if (Object.keys(values).length === 0) {
      cmd.clear();
      setStatus('Nothing to save: no value was changed.');
      return;
    }
    const saved = await cmd.run(`patch fields ${JSON.stringify(values)}`, async (headers) => {
      await api.patch(`${caseUrl}/fields`, values, { headers });
      // Before the reload: the inputs then show the values as the case stored them.
      touched.current.clear();
    });
    if (saved) {
      setStatus(`Saved ${Object.keys(values).length === 1 ? '1 field' : `${Object.keys(values).length} fields`}.`);
    }
  };

  return (
    <section class="card case-section" aria-labelledby="fields-title">
      <h2 id="fields-title">Fields</h2>
      {missing.size > 0 && (
        <p class="needed-summary">
          {view.stage.name} still needs: {[...missing].map((k) => fieldLabel(fields.find((f) => f.key === k) ?? { key: k })).join(', ')}.
        </p>
      )}
      <form ref={formRef} noValidate onSubmit={save} aria-labelledby="fields-title" class="fields-form">
        <div class="fields-grid">
          {fields.map((f) =>
            isRedacted(view.fields[f.key]) ? (
              <HiddenField key={f.key} field={f} />
            ) : (
              <FieldInput
                key={f.key}
                field={f}
                id={inputId(f.key)}
                value={drafts[f.key] ?? draftFrom(f, null)}
                note={missing.has(f.key) ? neededNote : undefined}
                error={cmd.error?.errorFor(`fields.${f.key}`)}
                onChange={(v) => {
                  touched.current.add(f.key);
                  setStatus(undefined);
                  setDrafts((d) => ({ ...d, [f.key]: v }));
                }}
              />
            ),
          )}
        </div>
        {cmd.error && (
          <FormProblem
            error={cmd.error}
            title={cmd.error.status === 422 ? 'The fields were not saved' : 'Saving failed'}
            inputs={fields.map((f) => ({ path: `fields.${f.key}`, label: fieldLabel(f), id: f.type === 'multiselect' ? `${inputId(f.key)}-0` : inputId(f.key) }))}
          />
        )}
        <div class="form-actions">
          <button type="submit" disabled={cmd.pending}>
            {cmd.pending ? 'Saving…' : 'Save fields'}
          </button>
          <span role="status" class="form-status">
            {status}
          </span>
        </div>
      </form>
    </section>
  );
}
