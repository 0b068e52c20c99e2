import Mustache from 'mustache';
import type { CaseView } from '../../domain/case-view';
import type { FieldError } from '../../domain/fields';
import {
  documentRequests,
  portalFormFields,
  portalProgress,
  type DocumentRequest,
  type PortalFormField,
  type PublicTimelineEntry,
} from '../../domain/portal';
import type { TemplateDefinition } from '../../domain/template';

/**
 * Server-rendered portal pages. Every value goes through mustache's `{{ }}`, which HTML-escapes
 * it (& < > " ' / ` =); the templates never use triple braces, so nothing from a case, a template
 * or a request is ever written as markup.
 */

const styles = `
:root { color-scheme: light; --ink: #1d2433; --muted: #5a6275; --line: #d5d9e2; --accent: #1f5fbf; --ok: #1b7a3d; --warn: #a33a00; --bg: #f6f7f9; }
* { box-sizing: border-box; }
body { margin: 0; font: 17px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, Helvetica, Arial, sans-serif; color: var(--ink); background: var(--bg); }
main { max-width: 44rem; margin: 0 auto; padding: 1rem; }
header.site { background: #fff; border-bottom: 1px solid var(--line); padding: .6rem 1rem; }
header.site p { max-width: 44rem; margin: 0 auto; font-weight: 600; color: var(--muted); }
h1 { font-size: 1.6rem; line-height: 1.25; margin: .8rem 0 .2rem; overflow-wrap: anywhere; }
h2 { font-size: 1.2rem; margin: 0 0 .6rem; }
h3 { font-size: 1.05rem; margin: 0 0 .4rem; }
section { background: #fff; border: 1px solid var(--line); border-radius: .5rem; padding: 1rem; margin: 1rem 0; }
.meta, .hint, .by, time { color: var(--muted); font-size: .9rem; }
.notice { padding: .8rem 1rem; border-radius: .5rem; margin: 1rem 0; border: 2px solid; background: #fff; }
.notice.success { border-color: var(--ok); }
.notice.error { border-color: var(--warn); }
.progress { list-style: none; padding: 0; margin: 0; display: flex; flex-wrap: wrap; gap: .4rem; counter-reset: step; }
.progress li { flex: 1 1 8rem; padding: .5rem .6rem; border-radius: .4rem; border: 1px solid var(--line); border-top: .4rem solid var(--line); font-size: .95rem; counter-increment: step; }
.progress li::before { content: counter(step) ". "; font-weight: 600; }
.progress li.past { border-top-color: var(--ok); }
.progress li.current { border-top-color: var(--accent); font-weight: 700; background: #eef4fd; }
.bar { height: .5rem; background: var(--line); border-radius: .25rem; margin: .6rem 0; overflow: hidden; }
.bar span { display: block; height: 100%; background: var(--accent); }
.request { border-top: 1px solid var(--line); padding: .8rem 0; }
.request:first-of-type { border-top: 0; padding-top: 0; }
.reason { border-left: 4px solid var(--warn); padding-left: .6rem; }
.status-list { padding-left: 1.2rem; }
.field { margin: 0 0 1rem; }
label, legend { display: block; font-weight: 600; margin-bottom: .25rem; }
fieldset { border: 0; padding: 0; margin: 0 0 1rem; }
fieldset label { display: inline; font-weight: 400; margin-left: .3rem; }
.choice { margin: .2rem 0; }
input[type=text], input[type=email], input[type=number], input[type=date], select, textarea { width: 100%; font: inherit; padding: .5rem; border: 1px solid #8a92a6; border-radius: .3rem; }
input[type=file] { font: inherit; max-width: 100%; }
textarea { min-height: 6rem; }
button { font: inherit; font-weight: 600; padding: .55rem 1.1rem; border: 0; border-radius: .3rem; background: var(--accent); color: #fff; cursor: pointer; margin-top: .4rem; }
button:focus-visible, input:focus-visible, select:focus-visible, textarea:focus-visible, a:focus-visible { outline: 3px solid #f2a900; outline-offset: 2px; }
.error-text { color: var(--warn); font-weight: 600; margin: .2rem 0; }
.timeline { list-style: none; padding: 0; margin: 0; }
.timeline li { padding: .4rem 0; border-top: 1px solid var(--line); }
.timeline li:first-child { border-top: 0; }
.detail { display: block; }
.visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
`;

// The stylesheet is a constant of this file, written in as is (never through a mustache tag).
const layout = `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="robots" content="noindex, nofollow">
<title>{{pageTitle}}</title>
<style>${styles}</style>
</head>
<body>
<header class="site"><p>Case portal</p></header>
<main id="main">
{{> content}}
</main>
</body>
</html>
`;

const casePage = `{{#notice}}<div class="notice {{kind}}" role="{{role}}"><p>{{text}}</p>{{#errors.length}}<ul>{{#errors}}<li><a href="#{{target}}">{{label}}: {{message}}</a></li>{{/errors}}</ul>{{/errors.length}}</div>{{/notice}}
<h1>{{title}}</h1>
<p class="meta">Reference {{caseKey}} · for {{participantName}}{{#closed}} · this case is {{status}}{{/closed}}</p>

<section aria-labelledby="progress-heading">
<h2 id="progress-heading">Progress</h2>
<p>Step {{currentNumber}} of {{stageCount}}: <strong>{{currentStage}}</strong></p>
<div class="bar" aria-hidden="true"><span style="width: {{percent}}%"></span></div>
<ol class="progress">
{{#stages}}<li class="{{position}}"{{#current}} aria-current="step"{{/current}}>{{name}}<span class="visually-hidden"> ({{positionText}})</span></li>
{{/stages}}</ol>
</section>

<section aria-labelledby="asked-heading">
<h2 id="asked-heading">What we need from you</h2>
{{^asked.length}}<p>Nothing right now. We will let you know if we need anything else.</p>{{/asked.length}}
{{#asked}}<div class="request">
<h3>{{label}}</h3>
{{#reason}}<p class="reason"><strong>Your last version was not accepted:</strong> {{reason}}</p>{{/reason}}
{{#open}}<form method="post" action="/portal/{{token}}/documents/{{slot}}" enctype="multipart/form-data">
<label for="file-{{slot}}">Choose a file for {{label}}</label>
<input id="file-{{slot}}" name="file" type="file" required{{#accept}} accept="{{accept}}"{{/accept}} aria-describedby="hint-{{slot}}">
<p id="hint-{{slot}}" class="hint">{{hint}}</p>
<button type="submit">Upload {{label}}</button>
</form>{{/open}}
</div>
{{/asked}}
{{#received.length}}<h3>Already sent</h3>
<ul class="status-list">{{#received}}<li>{{label}}: {{statusText}}</li>{{/received}}</ul>{{/received.length}}
</section>

{{#fields.length}}<section aria-labelledby="form-heading">
<h2 id="form-heading">Your details</h2>
{{#open}}<form method="post" action="/portal/{{token}}/form" novalidate>
{{#fields}}{{> field}}{{/fields}}
<button type="submit">Save my details</button>
</form>{{/open}}
{{^open}}<dl>{{#fields}}<dt>{{label}}</dt><dd>{{display}}</dd>{{/fields}}</dl>{{/open}}
</section>{{/fields.length}}

<section aria-labelledby="history-heading">
<h2 id="history-heading">History</h2>
{{^timeline.length}}<p>Nothing yet.</p>{{/timeline.length}}
<ol class="timeline" reversed>
{{#timeline}}<li><time datetime="{{at}}">{{when}}</time> — {{text}}{{#detail}}<span class="detail">{{detail}}</span>{{/detail}} <span class="by">({{byText}})</span></li>
{{/timeline}}</ol>
</section>
`;

const field = `{{#isInput}}<div class="field">
<label for="{{id}}">{{label}}{{#required}} (required){{/required}}</label>
{{#description}}<p id="{{id}}-hint" class="hint">{{description}}</p>{{/description}}
{{#privacyHint}}<p id="{{id}}-privacy" class="hint">{{privacyHint}}</p>{{/privacyHint}}
{{#error}}<p id="{{id}}-error" class="error-text">{{error}}</p>{{/error}}
<input id="{{id}}" name="{{key}}" type="{{htmlType}}" value="{{value}}"{{#isNumber}} step="any" inputmode="decimal"{{/isNumber}}{{#isEmail}} autocomplete="email"{{/isEmail}}{{#required}} required{{/required}}{{#error}} aria-invalid="true"{{/error}}{{#describedBy}} aria-describedby="{{describedBy}}"{{/describedBy}}>
</div>{{/isInput}}{{#isTextarea}}<div class="field">
<label for="{{id}}">{{label}}{{#required}} (required){{/required}}</label>
{{#description}}<p id="{{id}}-hint" class="hint">{{description}}</p>{{/description}}
{{#privacyHint}}<p id="{{id}}-privacy" class="hint">{{privacyHint}}</p>{{/privacyHint}}
{{#error}}<p id="{{id}}-error" class="error-text">{{error}}</p>{{/error}}
<textarea id="{{id}}" name="{{key}}"{{#required}} required{{/required}}{{#error}} aria-invalid="true"{{/error}}{{#describedBy}} aria-describedby="{{describedBy}}"{{/describedBy}}>{{value}}</textarea>
</div>{{/isTextarea}}{{#isSelect}}<div class="field">
<label for="{{id}}">{{label}}{{#required}} (required){{/required}}</label>
{{#description}}<p id="{{id}}-hint" class="hint">{{description}}</p>{{/description}}
{{#privacyHint}}<p id="{{id}}-privacy" class="hint">{{privacyHint}}</p>{{/privacyHint}}
{{#error}}<p id="{{id}}-error" class="error-text">{{error}}</p>{{/error}}
<select id="{{id}}" name="{{key}}"{{#required}} required{{/required}}{{#error}} aria-invalid="true"{{/error}}{{#describedBy}} aria-describedby="{{describedBy}}"{{/describedBy}}>
<option value="">— choose —</option>
{{#options}}<option value="{{value}}"{{#selected}} selected{{/selected}}>{{value}}</option>
{{/options}}</select>
</div>{{/isSelect}}{{#isCheckboxes}}<fieldset id="{{id}}"{{#describedBy}} aria-describedby="{{describedBy}}"{{/describedBy}}>
<legend>{{label}}{{#required}} (required){{/required}}</legend>
{{#description}}<p id="{{id}}-hint" class="hint">{{description}}</p>{{/description}}
{{#privacyHint}}<p id="{{id}}-privacy" class="hint">{{privacyHint}}</p>{{/privacyHint}}
{{#error}}<p id="{{id}}-error" class="error-text">{{error}}</p>{{/error}}
<input type="hidden" name="{{key}}" value="">
{{#options}}<div class="choice"><input type="checkbox" id="{{optionId}}" name="{{key}}" value="{{value}}"{{#selected}} checked{{/selected}}><label for="{{optionId}}">{{value}}</label></div>
{{/options}}</fieldset>{{/isCheckboxes}}{{#isYesNo}}<fieldset id="{{id}}"{{#describedBy}} aria-describedby="{{describedBy}}"{{/describedBy}}>
<legend>{{label}}{{#required}} (required){{/required}}</legend>
{{#description}}<p id="{{id}}-hint" class="hint">{{description}}</p>{{/description}}
{{#privacyHint}}<p id="{{id}}-privacy" class="hint">{{privacyHint}}</p>{{/privacyHint}}
{{#error}}<p id="{{id}}-error" class="error-text">{{error}}</p>{{/error}}
<div class="choice"><input type="radio" id="{{id}}-yes" name="{{key}}" value="true"{{#yes}} checked{{/yes}}><label for="{{id}}-yes">Yes</label></div>
<div class="choice"><input type="radio" id="{{id}}-no" name="{{key}}" value="false"{{#no}} checked{{/no}}><label for="{{id}}-no">No</label></div>
</fieldset>{{/isYesNo}}
`;

const messagePage = `<h1>{{heading}}</h1>
<section><p>{{text}}</p></section>
`;

function page(content: string, view: object, partials: Record<string, string> = {}): string {
  return Mustache.render(layout, view, { content, ...partials });
}

/** A page that only says something: invalid or expired link, too many requests, an error. */
export function renderMessagePage(heading: string, text: string): string {
  return page(messagePage, { pageTitle: heading, heading, text });
}

export interface Notice {
  kind: 'success' | 'error';
  text: string;
  errors?: Array<{ target: string; label: string; message: string }>;
}

export interface CasePageInput {
  token: string;
  view: CaseView;
  template: TemplateDefinition;
  participantName: string;
  timeline: PublicTimelineEntry[];
  notice?: Notice;
  /** Per-field problems of a refused form, and what was submitted (shown again). */
  fieldErrors?: FieldError[];
  submitted?: Record<string, unknown>;
}

const statusText: Record<DocumentRequest['status'], string> = {
  missing: 'not sent yet',
  pending: 'received, being checked',
  approved: 'accepted',
  rejected: 'not accepted',
};
const positionText = { past: 'done', current: 'current step', upcoming: 'to come' } as const;
const byText = { you: 'you', other: 'another participant', team: 'our team', automatic: 'automatic' } as const;

/** `2027-01-04 09:30 UTC`: unambiguous without scripts or the reader's time zone. */
export function formatInstant(iso: string): string {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? iso : `${d.toISOString().slice(0, 16).replace('T', ' ')} UTC`;
}

const fieldId = (key: string) => `field-${key}`;

function fieldModel(f: PortalFormField, errors: FieldError[], submitted: Record<string, unknown> | undefined) {
  const id = fieldId(f.key);
  const error = errors.filter((e) => e.field === f.key).map((e) => e.message).join('; ');
  const raw = submitted && Object.hasOwn(submitted, f.key) ? submitted[f.key] : undefined;
  const list = raw === undefined ? undefined : (Array.isArray(raw) ? raw : [raw]).map(String);
  const value = list && f.input !== 'checkboxes' ? (list[0] ?? '') : f.value;
  const options = f.options.map((o, i) => ({ ...o, optionId: `${id}-${i + 1}`, selected: list ? list.includes(o.value) : o.selected }));
  // A sensitive value is never shown back: the participant may write it, not read it.
  const privacyHint = f.sensitive ? (f.provided ? 'We have this on file; it is not shown here. Leave it empty to keep it.' : 'For your privacy, this is not shown again once saved.') : '';
  const describedBy = [f.description ? `${id}-hint` : '', privacyHint ? `${id}-privacy` : '', error ? `${id}-error` : ''].filter(Boolean).join(' ');
  const shown = f.input === 'yesno' ? (f.yes ? 'Yes' : f.no ? 'No' : '—') : f.input === 'checkboxes' ? f.options.filter((o) => o.selected).map((o) => o.value).join(', ') || '—' : f.value || '—';
  const current = f.sensitive ? (f.provided ? 'Provided (not shown)' : '—') : shown;
  return {
    ...f,
    id,
    value,
    options,
    error,
    describedBy,
    display: current,
    privacyHint,
    // A value on file that the form cannot show need not be typed again.
    required: f.required && !(f.sensitive && f.provided),
    yes: list ? list[0] === 'true' : f.yes,
    no: list ? list[0] === 'false' : f.no,
    isInput: ['text', 'number', 'date', 'email'].includes(f.input),
    isNumber: f.input === 'number',
    isEmail: f.input === 'email',
    htmlType: f.input,
    isTextarea: f.input === 'textarea',
    isSelect: f.input === 'select',
    isCheckboxes: f.input === 'checkboxes',
    isYesNo: f.input === 'yesno',
  };
}

/** The portal page of one case for one external participant. */
export function renderCasePage(input: CasePageInput): string {
  const { view, template, token } = input;
  const open = view.status === 'open';
  const stages = portalProgress(template, view.stage.key).map((s) => ({ ...s, current: s.position === 'current', positionText: positionText[s.position] }));
  const currentIndex = stages.findIndex((s) => s.current);
  const requests = documentRequests(template, view.documents);
  const fieldErrors = input.fieldErrors ?? [];
  const fields = portalFormFields(template, view.fields).map((f) => fieldModel(f, fieldErrors, input.submitted));
  const notice = input.notice
    ? { ...input.notice, role: input.notice.kind === 'error' ? 'alert' : 'status', errors: input.notice.errors ?? [] }
    : undefined;
  return page(
    casePage,
    {
      pageTitle: `${view.title} — case portal`,
      title: view.title,
      caseKey: view.id,
      participantName: input.participantName,
      status: view.status,
      closed: !open,
      open,
      token,
      notice,
      stages,
      stageCount: stages.length,
      currentNumber: currentIndex + 1,
      currentStage: stages[currentIndex]?.name ?? view.stage.name,
      percent: stages.length ? Math.round(((currentIndex + 1) / stages.length) * 100) : 0,
      asked: requests
        .filter((r) => r.asked)
        .map((r) => ({
          ...r,
          accept: r.contentTypes?.join(',') ?? '',
          hint: `${r.contentTypes ? `Accepted: ${r.contentTypes.join(', ')}. ` : ''}${r.status === 'rejected' ? 'Please send a new version.' : r.required ? 'Required.' : ''}`.trim(),
        })),
      received: requests.filter((r) => !r.asked).map((r) => ({ ...r, statusText: statusText[r.status] })),
      fields,
      timeline: input.timeline.map((e) => ({ ...e, when: formatInstant(e.at), byText: byText[e.by] })),
    },
    { field },
  );
}

/** Targets for an error summary: each refused field links to its input. */
export function fieldErrorLinks(template: TemplateDefinition, errors: FieldError[]): Notice['errors'] {
  return errors.map((e) => {
    const f = template.fields.find((x) => x.key === e.field && x.external);
    return { target: f ? fieldId(f.key) : 'form-heading', label: f ? (f.label ?? f.key) : e.field, message: e.message };
  });
}
