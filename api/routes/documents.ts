import type { Request } from 'express';
import { z } from 'zod';
import { commandResultSchema, publicDocumentVersionSchema } from '../../domain/schemas/case-view';
import { hiddenFrom } from '../../domain/visibility';
import { redactView } from '../../domain/redaction';
import { reviewDocumentInput } from '../../domain/schemas/commands';
import { keySchema } from '../../domain/schemas/template';
import type { ApiDeps } from '../deps';
import { resultFor } from '../case-access';
import { downloadDocument, fileReceiver, generateDocument, loadVisibleCase, uploadDocument } from '../documents';
import type { ProblemCode } from '../errors';
import { defineRoute, type AnyRoute } from '../route';
import { caseIdParams, commandHeaders } from '../schemas';
import { commandRoute } from './commands';

const slotParams = caseIdParams.extend({ slot: keySchema });
const versionParams = slotParams.extend({ version: z.coerce.number().int().positive() });
const documentIdParams = caseIdParams.extend({ docId: z.string().min(1).max(100) });

export const generateDocumentInput = z
  .object({ template: keySchema.meta({ description: 'Key of one of the case template\'s documentTemplates' }) })
  .strict()
  .meta({ example: { template: 'offerLetter' } });

const uploadForm = z
  .object({ file: z.string().meta({ format: 'binary', description: 'The file; its part Content-Type and file name are recorded' }) })
  .meta({ id: 'DocumentUpload' });

const reviewStatus = z.enum(['missing', 'pending', 'approved', 'rejected']);
const versionSchema = publicDocumentVersionSchema.omit({ slot: true }).extend({ url: z.string().meta({ description: 'Where to download this version' }) });
export const documentListSchema = z
  .object({
    slots: z.array(
      z.object({
        key: z.string(),
        label: z.string(),
        external: z.boolean(),
        required: z.boolean(),
        contentTypes: z.array(z.string()).nullable(),
        versions: z.number().int(),
        status: reviewStatus.meta({ description: 'Review status of the latest version; missing when there is none' }),
        sensitive: z.boolean().meta({ description: 'Only admins, auditors and the slot\'s visibleTo roles may read its documents; others see their metadata redacted' }),
        items: z.array(versionSchema),
      }),
    ),
    templates: z.array(z.object({ key: z.string(), title: z.string(), slot: z.string() })).meta({ description: 'Document templates this case can generate' }),
  })
  .meta({ id: 'DocumentList' });

const docProblems: ProblemCode[] = ['case_not_found', 'unknown_slot', 'dependency_unavailable'];
/** The Idempotency-Key as route.ts validated it; an empty one counts as none. */
const requestIdOf = (headers: { 'idempotency-key'?: string | undefined }) => headers['idempotency-key'] || undefined;

/** Is this request an upload to a document slot? The /v1 body guard lets these multipart bodies through. */
export function isDocumentUpload(req: Request): boolean {
  return req.method === 'POST' && /^\/v1\/cases\/[^/]+\/documents\/[^/]+\/?$/.test(req.path) && Boolean(req.is('multipart/form-data'));
}

export function documentRoutes(deps: ApiDeps): AnyRoute[] {
  const receive = fileReceiver(deps.config.DOCUMENT_MAX_BYTES);
  const base = (caseKey: string) => `/v1/cases/${encodeURIComponent(caseKey)}/documents`;
  return [
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/documents',
      operationId: 'listDocuments',
      summary: 'List document slots with their versions',
      description:
        'Every slot of the case template, with each uploaded version (metadata only) and the review status of the latest. The file name, type, size, hash and review reason of a sensitive slot the caller may not see are `{"redacted": true}`.',
      tags: ['Documents'],
      params: caseIdParams,
      responses: { 200: { description: 'The slots', schema: documentListSchema } },
      problems: ['case_not_found', 'dependency_unavailable'],
      handler: async ({ params, actor }) => {
        const loaded = await loadVisibleCase(deps, params.id, actor, { allowArchived: true });
        const { template } = loaded;
        const hidden = hiddenFrom(template, actor);
        const view = redactView(loaded.view, template, actor, hidden);
        const slots = template.documents.map((slot) => {
          const state = Object.hasOwn(view.documents, slot.key) ? view.documents[slot.key] : undefined;
          const items = (state?.items ?? []).map(({ slot: _slot, ...item }) => ({ ...item, url: `${base(params.id)}/${slot.key}/versions/${item.version}` }));
          return {
            key: slot.key,
            label: slot.label ?? slot.key,
            external: slot.external,
            required: slot.required,
            sensitive: slot.sensitive ?? false,
            contentTypes: slot.contentTypes ?? null,
            versions: state?.versions ?? 0,
            status: items.length ? (state?.status ?? 'pending') : 'missing',
            items,
          };
        });
        return { body: { slots, templates: template.documentTemplates.map((t) => ({ key: t.key, title: t.title, slot: t.slot })) } };
      },
    }),
    defineRoute({
      method: 'post',
      path: '/v1/cases/:id/documents/:slot',
      operationId: 'uploadDocument',
      summary: 'Upload a new version of a document',
      description:
        'multipart/form-data with one file in a field named `file` (at most DOCUMENT_MAX_BYTES). The part\'s Content-Type must be in the slot\'s `contentTypes` when the template lists them (415); the file name must be a plain name — one with a path, control characters or only dots is refused (400 invalid_file_name). The bytes are stored and their sha256 computed before the version is recorded with the `uploadDocument` command; a refused upload leaves nothing stored. An `Idempotency-Key` makes a retried upload record one version. Always answered synchronously (no `Prefer: respond-async`).',
      tags: ['Documents'],
      params: slotParams,
      multipart: uploadForm,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 200: { description: 'Recorded: the case and its document.uploaded event', schema: commandResultSchema } },
      problems: [...docProblems, 'case_not_open', 'case_archived', 'forbidden', 'unsupported_content_type', 'invalid_file_name', 'idempotency_key_reused'],
      handler: async ({ params, headers, actor, req, res }) => {
        const requestId = requestIdOf(headers);
        const result = await uploadDocument(deps, {
          caseKey: params.id,
          slot: params.slot,
          actor,
          ...(requestId ? { requestId } : {}),
          receive: () => receive(req, res),
        });
        return { body: await resultFor(deps.db, actor, result) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/documents/:slot',
      operationId: 'downloadDocument',
      summary: 'Download the latest version of a document',
      description:
        'Answers the bytes with their Content-Type, `Content-Disposition: attachment` (RFC 6266, with `filename*`) and `ETag` (the sha256); `If-None-Match` gives 304. The documents of a sensitive slot are for admins, auditors and its visibleTo roles (403 for other readers of the case).',
      tags: ['Documents'],
      params: slotParams,
      responses: { 200: { description: 'The file' }, 304: { description: 'Not modified (If-None-Match matched the ETag)' } },
      problems: [...docProblems, 'document_not_found', 'forbidden'],
      handler: async ({ params, req, actor }) => {
        const reply = await downloadDocument(deps, { caseKey: params.id, slot: params.slot, actor, ...ifNoneMatch(req) });
        return { status: reply.status, headers: reply.headers, ...(reply.bytes ? { body: reply.bytes, contentType: reply.contentType } : {}) };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/cases/:id/documents/:slot/versions/:version',
      operationId: 'downloadDocumentVersion',
      summary: 'Download one version of a document',
      description: 'As the latest-version download, for any version (1, 2, …).',
      tags: ['Documents'],
      params: versionParams,
      responses: { 200: { description: 'The file' }, 304: { description: 'Not modified (If-None-Match matched the ETag)' } },
      problems: [...docProblems, 'document_not_found', 'forbidden'],
      handler: async ({ params, req, actor }) => {
        const reply = await downloadDocument(deps, { caseKey: params.id, slot: params.slot, version: params.version, actor, ...ifNoneMatch(req) });
        return { status: reply.status, headers: reply.headers, ...(reply.bytes ? { body: reply.bytes, contentType: reply.contentType } : {}) };
      },
    }),
    commandRoute(deps, {
      path: '/v1/cases/:id/documents/:docId/review',
      operationId: 'reviewDocument',
      summary: 'Approve or reject a document version',
      description:
        'Only the latest version of a slot can be reviewed, once. A rejection needs a reason, which the portal shows to external participants as what to fix.',
      tags: ['Documents'],
      params: documentIdParams,
      body: reviewDocumentInput,
      problems: ['document_not_found', 'not_latest_version', 'already_reviewed', 'reason_required'],
      toCommand: (p, b) => ({ type: 'reviewDocument', documentId: p.docId, decision: b.decision, ...(b.reason ? { reason: b.reason } : {}) }),
    }),
    defineRoute({
      method: 'post',
      path: '/v1/cases/:id/generate-document',
      operationId: 'generateDocument',
      summary: 'Generate a PDF from a document template',
      description:
        'Renders one of the case template\'s `documentTemplates` (mustache over `case`, `fields`, `stage`) into a PDF and records it as a new version of the template\'s slot, with `generatedFrom` set. The same rendering as the `generateDocument` automation action. An `Idempotency-Key` makes a retry record one version.',
      tags: ['Documents'],
      params: caseIdParams,
      body: generateDocumentInput,
      headers: commandHeaders.pick({ 'idempotency-key': true }),
      responses: { 200: { description: 'Generated: the case and its document.uploaded event', schema: commandResultSchema } },
      problems: [...docProblems, 'case_not_open', 'case_archived', 'forbidden', 'unknown_document_template', 'limit_exceeded'],
      handler: async ({ params, body, headers, actor }) => {
        const requestId = requestIdOf(headers);
        const result = await generateDocument(deps, { caseKey: params.id, template: body.template, actor, ...(requestId ? { requestId } : {}) });
        return { body: await resultFor(deps.db, actor, result) };
      },
    }),
  ];
}

function ifNoneMatch(req: Request): { ifNoneMatch?: string } {
  const value = req.get('If-None-Match');
  return value ? { ifNoneMatch: value } : {};
}
