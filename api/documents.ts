import { createHash, randomBytes } from 'node:crypto';
import type { Request, Response } from 'express';
import multer from 'multer';
import { PostgresDocumentStore, type DocumentStore } from '../db/document-store';
import { getProjectedCaseView } from '../db/read-model';
import { generatedDocumentId, renderAndStoreDocument, sha256Hex } from '../documents/generate';
import type { Actor } from '../domain/actor';
import type { CaseView, CommandResult } from '../domain/case-view';
import type { CaseCommand } from '../domain/commands';
import { mayAct } from '../domain/decide';
import { BudgetExceeded } from '../domain/logic-budget';
import type { RenderContext } from '../domain/effects';
import { findStage, type DocumentSlot, type DocumentTemplate, type TemplateDefinition } from '../domain/template';
import { maySeeSensitive } from '../domain/visibility';
import { assertMayChange, assertMaySee, pinnedTemplate } from './case-access';
import type { ApiDeps } from './deps';
import { Problem } from './errors';
import { assertStorable } from './input-guards';

/**
 * Documents as the API and the portal use them: receive a multipart upload, store the bytes,
 * then record the version on the case with `uploadDocument`; generate a PDF from a document
 * template; serve a stored version. Bytes never reach the workflow, only their metadata.
 */

export type DocumentDeps = Pick<ApiDeps, 'db' | 'cases' | 'config' | 'log'> & { store?: DocumentStore };

export interface ReceivedFile {
  originalName: string;
  contentType: string;
  bytes: Buffer;
}

export interface LoadedCase {
  view: CaseView;
  template: TemplateDefinition;
}

/**
 * The case (from its workflow) with the template version it pinned, whoever asks: the portal, whose
 * link is its authorisation. The API asks `loadVisibleCase`.
 */
export async function loadCase(deps: Pick<ApiDeps, 'db' | 'cases'>, caseKey: string, opts: { allowArchived?: boolean } = {}): Promise<LoadedCase> {
  let view: CaseView;
  try {
    view = await deps.cases.view(caseKey);
  } catch (err) {
    // An archived case's workflow is gone; its documents can still be read from the projected view.
    const archived = opts.allowArchived && err instanceof Problem && err.code === 'case_not_found' ? await getProjectedCaseView(deps.db, caseKey) : null;
    if (!archived) throw err;
    view = archived;
  }
  return { view, template: await pinnedTemplate(deps.db, view.template) };
}

/** The case, when `actor` may see it; otherwise 404 `case_not_found`, exactly like a case that does not exist. */
export async function loadVisibleCase(deps: Pick<ApiDeps, 'db' | 'cases'>, caseKey: string, actor: Actor, opts: { allowArchived?: boolean } = {}): Promise<LoadedCase> {
  const loaded = await loadCase(deps, caseKey, opts);
  assertMaySee(actor, loaded.view, loaded.template);
  return loaded;
}

export function findSlot(template: TemplateDefinition, slot: string): DocumentSlot {
  const found = template.documents.find((d) => d.key === slot);
  if (!found) {
    throw new Problem('unknown_slot', `unknown document slot "${slot}"; slots are: ${template.documents.map((d) => d.key).join(', ') || 'none'}`);
  }
  return found;
}

function assertOpen(view: CaseView): void {
  if (view.status !== 'open') throw new Problem('case_not_open', `the case is ${view.status}; reopen it first`);
}

/**
 * The stage permission `decide` applies to `uploadDocument`, checked before a body is read or a
 * PDF rendered: a refused actor must not make the API read 25 MiB first. External participants
 * (the portal) are checked against the slot instead, as in `decide`.
 */
function assertMayAct(actor: Actor, view: CaseView, template: TemplateDefinition): void {
  if (actor.kind === 'external') return;
  const stage = findStage(template, view.stage.key);
  if (stage && !mayAct(actor, stage, 'act')) {
    throw new Problem(
      'forbidden',
      `${actor.name} (roles: ${actor.roles.join(', ') || 'none'}) may not act in stage "${stage.key}"; allowed roles: ${(stage.permissions?.act ?? []).join(', ')}`,
    );
  }
}

/** Reads one multipart file field named `file` into memory, at most `maxBytes`; every failure is a precise Problem. */
export function fileReceiver(maxBytes: number) {
  const upload = multer({
    storage: multer.memoryStorage(),
    limits: { fileSize: maxBytes, files: 1, fields: 20, parts: 25, fieldSize: 64 * 1024 },
    // Keep what the client sent, so a name with a path in it is refused rather than silently cut.
    preservePath: true,
    // Browsers and curl send UTF-8 file names without saying so.
    defParamCharset: 'utf8',
  }).single('file');
  return async (req: Request, res: Response): Promise<ReceivedFile> => {
    if (!req.is('multipart/form-data')) {
      throw new Problem('unsupported_media_type', `Send the file as multipart/form-data in a field named "file"; got ${req.get('Content-Type') ?? 'no Content-Type'}`);
    }
    try {
      await new Promise<void>((resolve, reject) => upload(req, res, (err: unknown) => (err ? reject(err) : resolve())));
    } catch (err) {
      throw multipartProblem(err, maxBytes);
    }
    // Other fields are not used, but a NUL in one is refused like anywhere else (the file name is checked by checkFileName).
    assertStorable(req.body);
    const file = req.file;
    if (!file) throw new Problem('validation_failed', 'The multipart body has no file in a field named "file"', { errors: [{ path: 'file', message: 'required' }] });
    if (file.size > maxBytes || file.buffer.length > maxBytes) throw tooLarge(maxBytes);
    return { originalName: file.originalname, contentType: file.mimetype, bytes: file.buffer };
  };
}

const tooLarge = (maxBytes: number) => new Problem('payload_too_large', `The file exceeds the limit of ${maxBytes} bytes`, { limit: maxBytes });

function multipartProblem(err: unknown, maxBytes: number): Problem {
  if (err instanceof Problem) return err;
  if (err instanceof multer.MulterError) {
    switch (err.code) {
      case 'LIMIT_FILE_SIZE':
        return tooLarge(maxBytes);
      case 'LIMIT_UNEXPECTED_FILE':
      case 'LIMIT_FILE_COUNT':
        return new Problem('validation_failed', `Send exactly one file, in a field named "file" (got "${err.field ?? '?'}")`, {
          errors: [{ path: err.field ?? 'file', message: 'unexpected file field' }],
        });
      default:
        return new Problem('malformed_multipart', `The multipart body was refused: ${err.message}`);
    }
  }
  return new Problem('malformed_multipart', `The multipart body could not be read: ${err instanceof Error ? err.message : String(err)}`);
}

/**
 * The file name as the client sent it, if it is a plain name. A name with a path in it
 * (`../../etc/passwd`, `C:\x\y.pdf`), control characters or nothing but dots is refused (400
 * invalid_file_name) rather than guessed at: browsers only ever send the base name.
 */
export function checkFileName(raw: string): string {
  const name = raw.normalize('NFC').trim();
  const problem = (why: string) => new Problem('invalid_file_name', `The file name ${JSON.stringify(raw.slice(0, 300))} ${why}`, { errors: [{ path: 'file', message: why }] });
  if (!name) throw problem('is empty');
  if (/[/\\]/.test(name)) throw problem('contains a path; send only the base name');
  if (/^\.+$/.test(name)) throw problem('is not a file name');
  if (/[\u0000-\u001f\u007f]/.test(name)) throw problem('contains control characters');
  if ([...name].length > 255) throw problem('is longer than 255 characters');
  return name;
}

const MIME = /^[a-z0-9][a-z0-9!#$&^_.+-]{0,126}\/[a-z0-9][a-z0-9!#$&^_.+-]{0,126}$/;

/** The part's declared content type, lower-cased without parameters; checked against the slot's allowlist. */
export function checkContentType(raw: string, slot: DocumentSlot): string {
  const type = raw.split(';')[0]!.trim().toLowerCase();
  if (!MIME.test(type)) throw new Problem('unsupported_content_type', `"${raw.slice(0, 100)}" is not a media type`);
  if (slot.contentTypes && !slot.contentTypes.map((t) => t.toLowerCase()).includes(type)) {
    throw new Problem('unsupported_content_type', `slot "${slot.key}" accepts ${slot.contentTypes.join(', ')}, not ${type}`);
  }
  return type;
}

/** Document ids: random, or derived from an Idempotency-Key so a retried request reuses the stored bytes. */
function newDocumentId(scope: string, idempotencyKey?: string): string {
  if (!idempotencyKey) return `doc_${randomBytes(16).toString('base64url')}`;
  return `doc_${createHash('sha256').update(`${scope}\n${idempotencyKey}`).digest('base64url').slice(0, 32)}`;
}

const storeOf = (deps: DocumentDeps) => deps.store ?? new PostgresDocumentStore(deps.db);

/** Whether a failed command certainly changed nothing (a verdict, not a lost connection). */
const definitelyRefused = (err: unknown) => err instanceof Problem && err.status < 500;

/**
 * Sends `uploadDocument` for bytes already stored. When the case refuses, or answers with the
 * events of an earlier request (a retried Idempotency-Key), bytes this request stored are
 * deleted: nothing half-written. When the outcome is unknown (Temporal unreachable) the bytes are
 * kept, since the version may yet be recorded.
 */
async function recordVersion(
  deps: DocumentDeps,
  store: DocumentStore,
  args: { caseKey: string; actor: Actor; requestId?: string; command: Extract<CaseCommand, { type: 'uploadDocument' }>; created: boolean },
): Promise<CommandResult> {
  const { caseKey, actor, requestId, command, created } = args;
  let result: CommandResult;
  try {
    result = await deps.cases.execute(caseKey, { actor, command, ...(requestId ? { requestId } : {}) });
  } catch (err) {
    if (created && definitelyRefused(err)) await store.delete(command.documentId);
    else if (created) deps.log.warn({ err, caseKey, documentId: command.documentId }, 'upload outcome unknown: stored bytes kept');
    throw err;
  }
  const recorded = result.events.some((e) => e.type === 'document.uploaded' && e.data.documentId === command.documentId);
  if (created && !recorded) {
    await store.delete(command.documentId);
    // The case answered with an earlier request's events: the key belonged to another request.
    throw new Problem('idempotency_key_reused', 'This Idempotency-Key was already used for another request on this case; nothing was stored');
  }
  return result;
}

export interface UploadRequest {
  caseKey: string;
  slot: string;
  actor: Actor;
  requestId?: string;
  /** Reads the file from the request; called once the case and slot are known to accept one. */
  receive: () => Promise<ReceivedFile>;
  /** Extra check of the slot before anything is read (the portal allows external slots only). */
  slotAllowed?: (slot: DocumentSlot) => void;
}

/**
 * One upload: check the case (known and visible to the sender, who may change it; slot exists,
 * case open, stage permission), read the file (size, name, content type), store the bytes, record
 * the version. Any refusal leaves nothing stored, and comes before the body is read.
 */
export async function uploadDocument(deps: DocumentDeps, req: UploadRequest): Promise<CommandResult> {
  const { view, template } = await loadCase(deps, req.caseKey);
  assertMayChange(req.actor, view, template);
  const slot = findSlot(template, req.slot);
  req.slotAllowed?.(slot);
  assertOpen(view);
  assertMayAct(req.actor, view, template);
  const file = await req.receive();
  const fileName = checkFileName(file.originalName);
  const contentType = checkContentType(file.contentType, slot);
  const sha256 = sha256Hex(file.bytes);
  const store = storeOf(deps);
  const documentId = newDocumentId(`${req.caseKey}:${req.actor.id}:${slot.key}`, req.requestId);
  const { created, info } = await store.put({ id: documentId, caseKey: req.caseKey, slot: slot.key, contentType, size: file.bytes.length, sha256, bytes: file.bytes });
  if (!created && info.sha256 !== sha256) {
    throw new Problem('idempotency_key_reused', 'This Idempotency-Key was already used to upload a different file');
  }
  return recordVersion(deps, store, {
    caseKey: req.caseKey,
    actor: req.actor,
    ...(req.requestId ? { requestId: req.requestId } : {}),
    created,
    command: { type: 'uploadDocument', slot: slot.key, documentId, fileName, contentType, size: info.size, sha256 },
  });
}

/** What a document template sees when generated on request: the case as it is now. */
export function requestRenderContext(view: CaseView, templateKey: string, now: string): RenderContext {
  return {
    case: { key: view.id, title: view.title, status: view.status, owner: view.owner, template: view.template.key },
    fields: view.fields,
    stage: { key: view.stage.key, name: view.stage.name },
    event: { type: 'document.generate', seq: view.lastSeq, at: now, data: { template: templateKey } },
  };
}

export function findDocumentTemplate(template: TemplateDefinition, key: string): DocumentTemplate {
  const found = template.documentTemplates.find((d) => d.key === key);
  if (!found) {
    throw new Problem('unknown_document_template', `unknown document template "${key}"; templates are: ${template.documentTemplates.map((d) => d.key).join(', ') || 'none'}`);
  }
  return found;
}

/**
 * Renders a document template of the case into a PDF (the same code as the generateDocument
 * activity) and records it as a new version of the template's slot, `generatedFrom` its key.
 */
export async function generateDocument(
  deps: DocumentDeps,
  req: { caseKey: string; template: string; actor: Actor; requestId?: string },
): Promise<CommandResult> {
  const { view, template } = await loadCase(deps, req.caseKey);
  // Who may generate comes first: a refused sender learns nothing of the case's document templates.
  assertMayChange(req.actor, view, template);
  assertOpen(view);
  assertMayAct(req.actor, view, template);
  const documentTemplate = findDocumentTemplate(template, req.template);
  findSlot(template, documentTemplate.slot);
  const store = storeOf(deps);
  const documentId = req.requestId
    ? generatedDocumentId(`api:${req.caseKey}:${req.actor.id}:${req.requestId}`)
    : `gen_${randomBytes(16).toString('base64url')}`;
  const existed = (await store.stat(documentId)) !== null;
  const now = new Date();
  const generated = await renderAndStoreDocument(store, {
    documentId,
    caseKey: req.caseKey,
    template: documentTemplate,
    context: requestRenderContext(view, documentTemplate.key, now.toISOString()),
    createdAt: now,
  }).catch((err: unknown) => {
    // The text would render past its budget on this case's data: the request's problem, nothing stored.
    if (err instanceof BudgetExceeded) throw new Problem('limit_exceeded', `Document template "${documentTemplate.key}": ${err.message}`);
    throw err;
  });
  return recordVersion(deps, store, {
    caseKey: req.caseKey,
    actor: req.actor,
    ...(req.requestId ? { requestId: req.requestId } : {}),
    created: !existed,
    command: { type: 'uploadDocument', slot: documentTemplate.slot, ...generated, generatedFrom: documentTemplate.key },
  });
}

/** RFC 6266 Content-Disposition: an ASCII fallback plus the exact name as RFC 8187 `filename*`. */
export function contentDisposition(fileName: string, disposition: 'attachment' | 'inline' = 'attachment'): string {
  const fallback = fileName
    .normalize('NFKD')
    .replace(/[\u0300-\u036f]/g, '')
    .replace(/[^\x20-\x7e]/g, '_')
    .replace(/["\\]/g, '_')
    .trim() || 'download';
  const encoded = encodeURIComponent(fileName).replace(/['()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
  return `${disposition}; filename="${fallback}"; filename*=UTF-8''${encoded}`;
}

/** True when an If-None-Match header matches the entity tag (weak comparison, RFC 9110 §13.1.2). */
export function etagMatches(ifNoneMatch: string | undefined, etag: string): boolean {
  if (!ifNoneMatch) return false;
  const bare = (t: string) => t.trim().replace(/^W\//, '');
  return ifNoneMatch.split(',').some((t) => t.trim() === '*' || bare(t) === bare(etag));
}

export interface DownloadReply {
  status: 200 | 304;
  headers: Record<string, string>;
  bytes?: Buffer;
  contentType?: string;
}

/**
 * One stored version of a slot (the latest when `version` is omitted), honouring If-None-Match,
 * for a reader who may see the case and, for a sensitive slot, its documents (403 otherwise).
 */
export async function downloadDocument(
  deps: DocumentDeps,
  req: { caseKey: string; slot: string; actor: Actor; version?: number; ifNoneMatch?: string },
): Promise<DownloadReply> {
  const { view, template } = await loadVisibleCase(deps, req.caseKey, req.actor, { allowArchived: true });
  const slot = findSlot(template, req.slot);
  if (!maySeeSensitive(req.actor, slot)) {
    throw new Problem('forbidden', `The documents of slot "${slot.key}" are sensitive: only the roles ${(slot.visibleTo ?? []).join(', ') || '(none)'}, admins and auditors may read them`);
  }
  const items = (Object.hasOwn(view.documents, req.slot) ? view.documents[req.slot]?.items : undefined) ?? [];
  const item = req.version === undefined ? items[items.length - 1] : items.find((i) => i.version === req.version);
  if (!item) {
    throw new Problem('document_not_found', req.version === undefined ? `slot "${req.slot}" has no document yet` : `slot "${req.slot}" has no version ${req.version}`);
  }
  const etag = `"${item.sha256}"`;
  const headers: Record<string, string> = {
    ETag: etag,
    // Versions never change, but who may read them does: revalidate every time (cheap with the ETag).
    'Cache-Control': 'private, no-cache',
    'Document-Version': String(item.version),
  };
  if (etagMatches(req.ifNoneMatch, etag)) return { status: 304, headers };
  const stored = await storeOf(deps).get(item.documentId);
  if (!stored || stored.caseKey !== req.caseKey) {
    deps.log.error({ caseKey: req.caseKey, documentId: item.documentId }, 'document bytes are missing from the store');
    throw new Problem('document_not_found', `the bytes of version ${item.version} of "${req.slot}" are missing`);
  }
  return {
    status: 200,
    contentType: item.contentType,
    bytes: stored.bytes,
    headers: {
      ...headers,
      'Content-Disposition': contentDisposition(item.fileName),
      'X-Content-Type-Options': 'nosniff',
      // Never let an uploaded HTML file run as a page of this origin.
      'Content-Security-Policy': "default-src 'none'; sandbox",
    },
  };
}
