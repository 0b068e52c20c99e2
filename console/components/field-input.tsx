/**
 * One template field as a form control typed from its definition: text, longtext, number, date,
 * email, select (its options), multiselect (a checkbox group), boolean (a checkbox). Used by the
 * start form and the case page alike, so both label, describe and flag errors the same way: the
 * API's message for the field sits under it and is tied to it with aria-describedby.
 */
import type { JSX, TargetedEvent } from 'preact';
import type { FieldDefinition } from '../lib/types';
import { fieldLabel, type DraftValue } from './field-draft';

export interface FieldInputProps {
  field: FieldDefinition;
  /** A unique id prefix for this input on the page. */
  id: string;
  value: DraftValue;
  onChange: (value: DraftValue) => void;
  /** The API's message about this field (422 `errors`). */
  error?: string | undefined;
  /** A note shown under the label, e.g. "Needed to leave Documentation". */
  note?: string | undefined;
  disabled?: boolean;
}

const INPUT_TYPES: Partial<Record<FieldDefinition['type'], 'text' | 'number' | 'date' | 'email'>> = { text: 'text', number: 'number', date: 'date', email: 'email' };

export function FieldInput({ field, id, value, onChange, error, note, disabled }: FieldInputProps) {
  const label = fieldLabel(field);
  const hintId = field.description ? `${id}-hint` : undefined;
  const noteId = note ? `${id}-note` : undefined;
  const errorId = error ? `${id}-error` : undefined;
  const describedBy = [hintId, noteId, errorId].filter(Boolean).join(' ') || undefined;
  const common = {
    id,
    name: field.key,
    disabled,
    'aria-invalid': error ? ('true' as const) : undefined,
    'aria-describedby': describedBy,
  };
  const text = typeof value === 'string' ? value : '';
  const onText = (e: TargetedEvent<HTMLInputElement | HTMLTextAreaElement | HTMLSelectElement>) => onChange(e.currentTarget.value);

  const extras = (
    <>
      {field.description && (
        <p id={hintId} class="hint">
          {field.description}
        </p>
      )}
      {note && (
        <p id={noteId} class="needed-note">
          {note}
        </p>
      )}
    </>
  );
  const errorLine = error && (
    <p id={errorId} class="field-error">
      {error}
    </p>
  );
  const requiredMark = field.required && (
    <>
      <span class="required-mark" aria-hidden="true">
        {' '}*
      </span>
      <span class="visually-hidden"> (required)</span>
    </>
  );

  if (field.type === 'multiselect') {
    const chosen = Array.isArray(value) ? value : [];
    return (
      <fieldset class={`field field-group${note ? ' needed' : ''}`} aria-describedby={describedBy} id={id}>
        <legend>
          {label}
          {requiredMark}
        </legend>
        {extras}
        <div class="choices">
          {(field.options ?? []).map((option, i) => (
            <label key={option} class="choice" for={`${id}-${i}`}>
              <input
                type="checkbox"
                id={`${id}-${i}`}
                name={field.key}
                value={option}
                disabled={disabled}
                checked={chosen.includes(option)}
                onChange={(e) => {
                  const on = e.currentTarget.checked;
                  // Keep the template's option order, whatever order they were ticked in.
                  onChange((field.options ?? []).filter((o) => (o === option ? on : chosen.includes(o))));
                }}
              />{' '}
              {option}
            </label>
          ))}
        </div>
        {errorLine}
      </fieldset>
    );
  }

  if (field.type === 'boolean') {
    return (
      <div class={`field${note ? ' needed' : ''}`}>
        <label class="choice" for={id}>
          <input type="checkbox" {...common} checked={value === true} onChange={(e) => onChange(e.currentTarget.checked)} /> {label}
          {requiredMark}
        </label>
        {extras}
        {errorLine}
      </div>
    );
  }

  let control: JSX.Element;
  if (field.type === 'select') {
    control = (
      <select {...common} value={text} required={field.required} onChange={onText}>
        <option value="">{field.required ? 'Choose…' : '— none —'}</option>
        {(field.options ?? []).map((option) => (
          <option key={option} value={option}>
            {option}
          </option>
        ))}
      </select>
    );
  } else if (field.type === 'longtext') {
    control = <textarea {...common} rows={4} value={text} required={field.required} onInput={onText} />;
  } else {
    control = (
      <input
        {...common}
        // Preact types each input type's attributes separately; these four take the same ones here.
        type={(INPUT_TYPES[field.type] ?? 'text') as 'text'}
        step={field.type === 'number' ? 'any' : undefined}
        inputMode={field.type === 'number' ? 'decimal' : undefined}
        autoComplete="off"
        value={text}
        required={field.required}
        onInput={onText}
      />
    );
  }
  return (
    <div class={`field${note ? ' needed' : ''}`}>
      <label for={id}>
        {label}
        {field.required && (
          <span class="required-mark" aria-hidden="true">
            {' '}*
          </span>
        )}
      </label>
      {extras}
      {control}
      {errorLine}
    </div>
  );
}

/** A field the reader may not see: named, shown as "Hidden", never editable. */
export function HiddenField({ field }: { field: FieldDefinition }) {
  return (
    <div class="field">
      <span class="label">{fieldLabel(field)}</span>
      <p class="hidden-value">
        Hidden <span class="hint">(only some roles may see this value)</span>
      </p>
    </div>
  );
}
