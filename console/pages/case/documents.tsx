/**
 * Documents, slot by slot: each version (newest first) with who uploaded it and its review; upload
 * a new version (multipart, field `file`), download one (fetched with the bearer token, handed to
 * the browser as a blob: a plain link would carry no credential), approve or reject the latest
 * with a reason, and generate one from the template's document templates.
 */
import { useState } from 'preact/hooks';
import { ProblemMessage } from '../../components/problem';
import { api, seg, type ApiProblem } from '../../lib/api';
import { formatDateTime } from '../../lib/format';
import { isRedacted, type DocumentSlot } from '../../lib/types';
import { useCase, type CaseViewForCaller } from './context';
import { asProblem } from './problems';
import { ReasonForm } from './reason-form';
import { send, useCommand } from './command';

type DocumentVersion = CaseViewForCaller['documents'][string]['items'][number];

const STATUS_TEXT = { missing: 'Missing', pending: 'Awaiting review', approved: 'Approved', rejected: 'Rejected' } as const;
const STATUS_TONE = { missing: 'due', pending: '', approved: 'ok', rejected: 'overdue' } as const;

function formatSize(size: unknown): string {
  if (typeof size !== 'number') return 'size hidden';
  if (size < 1024) return `${size} B`;
  if (size < 1024 * 1024) return `${(size / 1024).toFixed(1)} KB`;
  return `${(size / 1024 / 1024).toFixed(1)} MB`;
}

/** Saves a download through a blob URL and a temporary `<a download>`: the request needed the Authorization header. */
async function saveDownload(url: string, fileName: string): Promise<void> {
  const res = await api.raw('GET', url);
  const href = URL.createObjectURL(await res.blob());
  const a = document.createElement('a');
  a.href = href;
  a.download = fileName;
  a.hidden = true;
  document.body.append(a);
  a.click();
  a.remove();
  // The browser has taken the bytes once the click is handled; free them a little later.
  setTimeout(() => URL.revokeObjectURL(href), 30_000);
}

/** `{{fields.fullName}}` in a document template's title, filled from the case where it can be. */
function fillTitle(title: string, view: CaseViewForCaller): string {
  return title
    .replace(/\{\{\s*fields\.([\w-]+)\s*\}\}/g, (_m, key: string) => {
      const v = view.fields[key];
      return typeof v === 'string' || typeof v === 'number' ? String(v) : '…';
    })
    .replace(/\{\{\s*case\.(key|title)\s*\}\}/g, (_m, k: string) => (k === 'key' ? view.id : view.title))
    .replace(/\{\{[^}]*\}\}/g, '…');
}

export function DocumentsSection() {
  const { view, template } = useCase();
  if (template.documents.length === 0 && template.documentTemplates.length === 0) return null;
  return (
    <section class="card case-section" aria-labelledby="documents-title">
      <h2 id="documents-title">Documents</h2>
      <div class="slots">
        {template.documents.map((slot) => (
          <SlotCard key={slot.key} slot={slot} needed={view.stage.missing.documents.includes(slot.key)} />
        ))}
      </div>
      {template.documentTemplates.length > 0 && view.allowed.act && <GenerateDocuments />}
    </section>
  );
}

function SlotCard({ slot, needed }: { slot: DocumentSlot; needed: boolean }) {
  const { view, caseUrl } = useCase();
  const state = view.documents[slot.key];
  const items = [...(state?.items ?? [])].sort((a, b) => b.version - a.version);
  const status = items.length ? (state?.status ?? 'pending') : 'missing';
  const label = slot.label ?? slot.key;
  const headingId = `slot-${slot.key}-title`;
  return (
    <article class={`slot${needed ? ' needed' : ''}`} aria-labelledby={headingId}>
      <h3 id={headingId}>
        {label} <span class={`badge ${STATUS_TONE[status]}`}>{STATUS_TEXT[status]}</span>
        {slot.required && <span class="badge">Required</span>}
        {slot.external && <span class="badge">Portal</span>}
        {slot.sensitive && <span class="badge">Sensitive</span>}
      </h3>
      {needed && <p class="needed-note">Needed to leave {view.stage.name}.</p>}
      {items.length > 0 && (
        <ol class="versions" aria-label={`Versions of ${label}`}>
          {items.map((item, i) => (
            <VersionItem key={item.documentId} item={item} latest={i === 0} slotLabel={label} url={`${caseUrl}/documents/${seg(slot.key)}/versions/${item.version}`} />
          ))}
        </ol>
      )}
      {view.allowed.act && <UploadForm slot={slot} label={label} />}
    </article>
  );
}

function VersionItem({ item, latest, slotLabel, url }: { item: DocumentVersion; latest: boolean; slotLabel: string; url: string }) {
  const { view, caseUrl } = useCase();
  const approve = useCommand();
  const reject = useCommand();
  const [downloadError, setDownloadError] = useState<ApiProblem>();
  const hidden = isRedacted(item.fileName);
  const fileName = typeof item.fileName === 'string' ? item.fileName : `${slotLabel}-v${item.version}`;
  const reviewUrl = `${caseUrl}/documents/${seg(item.documentId)}/review`;
  const reason = typeof item.reason === 'string' ? item.reason : item.reason ? 'Hidden' : undefined;
  return (
    <li class="version">
      <div>
        <strong>v{item.version}</strong> {hidden ? <span class="hidden-value">Hidden file</span> : <span class="file-name">{fileName}</span>}{' '}
        <span class="hint">
          {hidden ? '' : `${formatSize(item.size)} · `}
          {item.generatedFrom ? `generated from ${item.generatedFrom} · ` : ''}
          uploaded by {item.uploadedBy.name} <time dateTime={item.uploadedAt}>{formatDateTime(item.uploadedAt)}</time>
        </span>
      </div>
      <div class="hint">
        {STATUS_TEXT[item.status]}
        {item.reviewedBy && ` by ${item.reviewedBy.name}`}
        {item.reviewedAt && ` on ${formatDateTime(item.reviewedAt)}`}
        {reason && `: ${reason}`}
      </div>
      <div class="version-actions">
        {!hidden && (
          <button
            type="button"
            class="secondary"
            aria-label={`Download ${slotLabel} version ${item.version}`}
            onClick={() => {
              setDownloadError(undefined);
              saveDownload(url, fileName).catch((err: unknown) => setDownloadError(asProblem(err)));
            }}
          >
            Download
          </button>
        )}
        {latest && item.status === 'pending' && view.allowed.act && (
          <>
            <button
              type="button"
              disabled={approve.pending}
              aria-label={`Approve ${slotLabel} version ${item.version}`}
              onClick={() => void send(approve, 'post', reviewUrl, { decision: 'approve' })}
            >
              Approve
            </button>
            <ReasonForm
              id={`reject-${item.documentId}`}
              openLabel={`Reject…`}
              submitLabel={`Reject ${slotLabel} version ${item.version}`}
              reasonLabel="What needs fixing"
              reasonRequired
              danger
              cmd={reject}
              onSubmit={(why) => send(reject, 'post', reviewUrl, { decision: 'reject', reason: why })}
            />
          </>
        )}
      </div>
      {approve.error && <ProblemMessage error={approve.error} title="The document was not approved" />}
      {downloadError && <ProblemMessage error={downloadError} title="The download failed" />}
    </li>
  );
}

function UploadForm({ slot, label }: { slot: DocumentSlot; label: string }) {
  const { caseUrl } = useCase();
  const cmd = useCommand();
  const [file, setFile] = useState<File>();
  const [inputKey, setInputKey] = useState(0);
  const id = `upload-${slot.key}`;
  return (
    <form
      class="upload"
      aria-label={`Upload ${label}`}
      onSubmit={async (e) => {
        e.preventDefault();
        if (!file) return;
        const body = new FormData();
        body.append('file', file, file.name);
        const action = `upload ${slot.key} ${file.name} ${file.size} ${file.lastModified}`;
        const ok = await cmd.run(action, (headers) => api.raw('POST', `${caseUrl}/documents/${seg(slot.key)}`, { raw: body, headers }));
        if (ok) {
          setFile(undefined);
          setInputKey((k) => k + 1); // a fresh, empty file input
        }
      }}
    >
      <label for={id}>New version of {label}</label>
      <div class="upload-row">
        <input
          key={inputKey}
          id={id}
          type="file"
          accept={slot.contentTypes?.join(',')}
          aria-describedby={slot.contentTypes ? `${id}-types` : undefined}
          onChange={(e) => {
            cmd.clear();
            setFile(e.currentTarget.files?.[0]);
          }}
        />
        <button type="submit" disabled={!file || cmd.pending}>
          {cmd.pending ? 'Uploading…' : 'Upload'}
        </button>
      </div>
      {slot.contentTypes && (
        <p id={`${id}-types`} class="hint">
          Accepted: {slot.contentTypes.join(', ')}
        </p>
      )}
      {cmd.error && <ProblemMessage error={cmd.error} title="The upload failed" />}
    </form>
  );
}

function GenerateDocuments() {
  const { view, template, caseUrl } = useCase();
  const cmd = useCommand();
  const [last, setLast] = useState<string>();
  return (
    <div class="generate">
      <h3>Generate a document</h3>
      <ul class="plain">
        {template.documentTemplates.map((t) => {
          const title = fillTitle(t.title, view);
          const slot = template.documents.find((s) => s.key === t.slot);
          return (
            <li key={t.key}>
              <button
                type="button"
                class="secondary"
                disabled={cmd.pending}
                onClick={async () => {
                  setLast(undefined);
                  if (await send(cmd, 'post', `${caseUrl}/generate-document`, { template: t.key })) setLast(`${title} was added to ${slot?.label ?? t.slot}.`);
                }}
              >
                Generate “{title}”
              </button>{' '}
              <span class="hint">into {slot?.label ?? t.slot}</span>
            </li>
          );
        })}
      </ul>
      <p role="status" class="form-status">
        {last}
      </p>
      {cmd.error && <ProblemMessage error={cmd.error} title="The document was not generated" />}
    </div>
  );
}
