/**
 * Who may do what, endpoint by endpoint: every operation of /openapi.json × every kind of caller,
 * with the status (and problem code) each must get, and nothing changed by a refused write.
 * The operations come from the OpenAPI document: one without an entry in `operations` fails the
 * test, so a new endpoint cannot be added without saying who may call it.
 *
 * One stack, one case (MTX-1, open in stage "work", owned by olive with participant paul), probes
 * that pass the access checks and are then refused by the case for a reason of its own (so the
 * case stays as it is), and a few harmless writes that succeed.
 */
import { startFakeIdentityProvider, type FakeIdentityProvider } from '../support/oidc-provider';
import { sql } from 'drizzle-orm';
import { createApiToken, revokeApiToken } from '../../db/tokens';
import type { Database } from '../../db/connection';
import { fileForm } from '../support/multipart';
import { eventually, startTestStack, type TestStack } from '../support/stack';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

const TEMPLATE = {
  key: 'access-matrix',
  name: 'Access matrix',
  prefix: 'MTX',
  roles: ['clerk', 'actor', 'viewer'],
  permissions: { view: ['viewer'] },
  fields: [
    { key: 'fullName', type: 'text', required: true },
    { key: 'note', type: 'text' },
  ],
  documents: [{ key: 'doc', contentTypes: ['application/pdf'] }],
  stages: [
    { key: 'work', permissions: { act: ['actor'], comment: ['actor', 'clerk'] } },
    { key: 'done', terminal: true },
  ],
  documentTemplates: [{ key: 'letter', title: 'Letter', slot: 'doc', body: 'Hello {{fields.fullName}}' }],
};

/** What a caller is, as far as the matrix goes. */
interface Caller {
  name: string;
  /** The Authorization header value, or undefined before setup. */
  header?: string;
  /** Authenticates at all (expired, revoked and foreign tokens do not: 401 everywhere). */
  authenticated: boolean;
  admin?: boolean;
  /** Sees MTX-1: admin, auditor, owner, internal participant, a view role. */
  sees?: boolean;
  /** Read-only: the auditor. */
  readOnly?: boolean;
  /** Sees every case and sensitive field (admin, auditor): may decode Temporal payloads. */
  seesAll?: boolean;
  /** May act (or comment) in stage "work". */
  acts?: boolean;
  comments?: boolean;
  /** May start a case of the template. */
  starts?: boolean;
}

const callers: Caller[] = [
  { name: 'admin', authenticated: true, admin: true, seesAll: true, sees: true, acts: true, comments: true, starts: true },
  { name: 'auditor', authenticated: true, sees: true, readOnly: true, seesAll: true },
  { name: 'owner', authenticated: true, sees: true, acts: true, comments: true, starts: true },
  { name: 'internal participant', authenticated: true, sees: true, comments: true, starts: true },
  { name: 'template view role', authenticated: true, sees: true, starts: true },
  { name: 'stage act role', authenticated: true, starts: true },
  { name: 'unrelated role', authenticated: true },
  { name: 'no role', authenticated: true },
  { name: 'expired token', authenticated: false },
  { name: 'revoked token', authenticated: false },
  { name: 'portal token as bearer', authenticated: false },
  // Single sign-on: a JWT gets exactly the row of the API-token caller with the same id and roles;
  // an expired, wrong-audience or wrongly signed one 401 everywhere.
  { name: 'JWT owner', authenticated: true, sees: true, acts: true, comments: true, starts: true },
  { name: 'JWT unrelated role', authenticated: true },
  { name: 'JWT expired', authenticated: false },
  { name: 'JWT wrong audience', authenticated: false },
  { name: 'JWT wrong key', authenticated: false },
];

/** The request an operation sends; `ctx` holds what setup created. */
interface Probe {
  method: 'get' | 'post' | 'put' | 'patch' | 'delete';
  path: string;
  body?: object;
  /** A multipart upload instead of JSON. */
  file?: { name: string; type: string; body: string };
}

type Expected = { status: number; code?: string };
type Kind =
  /** Anyone authenticated. */
  | 'authenticated'
  /** Admins only (403 otherwise). */
  | 'admin'
  /** Admins and auditors (403 otherwise). */
  | 'sees-all'
  /** Starting: permissions.start (403 otherwise). */
  | 'start'
  /** Reading MTX-1: 404 case_not_found for whoever may not see it. */
  | 'read'
  /** Changing MTX-1 under the stage's act (or comment) permission: 404, then 403 read-only, then 403 forbidden. */
  | 'act'
  | 'comment'
  /** Reopening an open case: the case's own 409 comes before the stage permission (decide). */
  | 'reopen';

interface Operation {
  kind: Kind;
  probe: (ctx: Context) => Probe;
  /** What an allowed caller gets. */
  allowed: Expected;
  /** Puts the case back after an allowed write that changed it. */
  restore?: (ctx: Context) => Promise<void>;
  /** Also sent as `Prefer: respond-async` by refused callers: refused up front by the case's dry run. */
  command?: boolean;
}

interface Context {
  caseKey: string;
  portalToken: string;
}

const DENIED_AUTH: Expected = { status: 401, code: 'unauthorized' };
const NOT_FOUND: Expected = { status: 404, code: 'case_not_found' };
const FORBIDDEN: Expected = { status: 403, code: 'forbidden' };

const c = (ctx: Context) => `/v1/cases/${ctx.caseKey}`;

/** Every operation of /openapi.json, by "METHOD /path" as the document spells it. */
const operations: Record<string, Operation> = {
  'POST /v1/templates': { kind: 'admin', probe: () => ({ method: 'post', path: '/v1/templates', body: { key: 'broken' } }), allowed: { status: 422, code: 'invalid_template' } },
  'GET /v1/templates': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/templates' }), allowed: { status: 200 } },
  'GET /v1/templates/{key}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/templates/access-matrix' }), allowed: { status: 200 } },
  'GET /v1/templates/{key}/versions': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/templates/access-matrix/versions' }), allowed: { status: 200 } },
  'GET /v1/templates/{key}/versions/{v}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/templates/access-matrix/versions/1' }), allowed: { status: 200 } },
  // A start the template refuses (its required field is missing): nothing is started.
  'POST /v1/cases': { kind: 'start', probe: () => ({ method: 'post', path: '/v1/cases', body: { template: 'access-matrix', title: 'Probe' } }), allowed: { status: 422, code: 'invalid_fields' } },
  'GET /v1/cases': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/cases?template=access-matrix' }), allowed: { status: 200 } },
  'GET /v1/cases/{id}': { kind: 'read', probe: (x) => ({ method: 'get', path: c(x) }), allowed: { status: 200 } },
  'GET /v1/cases/{id}/timeline': { kind: 'read', probe: (x) => ({ method: 'get', path: `${c(x)}/timeline` }), allowed: { status: 200 } },
  'GET /v1/boards/{templateKey}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/boards/access-matrix' }), allowed: { status: 200 } },
  'POST /v1/cases/{id}/advance': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/advance`, body: { to: 'work' } }), allowed: { status: 409, code: 'already_in_stage' } },
  'PATCH /v1/cases/{id}/fields': { kind: 'act', command: true, probe: (x) => ({ method: 'patch', path: `${c(x)}/fields`, body: { fullName: 'Matrix Case' } }), allowed: { status: 422, code: 'no_change' } },
  'POST /v1/cases/{id}/comments': { kind: 'comment', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/comments`, body: { text: 'probe' } }), allowed: { status: 200 } },
  'POST /v1/cases/{id}/decisions': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/decisions`, body: { decision: 'go', justification: 'probe' } }), allowed: { status: 200 } },
  'POST /v1/cases/{id}/tasks': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/tasks`, body: { title: 'probe' } }), allowed: { status: 200 } },
  'POST /v1/cases/{id}/tasks/{taskId}/complete': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/tasks/T-999/complete`, body: {} }), allowed: { status: 404, code: 'task_not_found' } },
  'POST /v1/cases/{id}/tasks/{taskId}/reassign': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/tasks/T-999/reassign`, body: { assignee: 'x' } }), allowed: { status: 404, code: 'task_not_found' } },
  'POST /v1/cases/{id}/tasks/{taskId}/reopen': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/tasks/T-999/reopen`, body: { reason: 'probe' } }), allowed: { status: 404, code: 'task_not_found' } },
  'POST /v1/cases/{id}/participants': {
    kind: 'act',
    command: true,
    probe: (x) => ({ method: 'post', path: `${c(x)}/participants`, body: { kind: 'internal', role: 'clerk', name: 'Paul', userId: 'paul' } }),
    allowed: { status: 409, code: 'participant_exists' },
  },
  'DELETE /v1/cases/{id}/participants/{participantId}': { kind: 'act', command: true, probe: (x) => ({ method: 'delete', path: `${c(x)}/participants/P-99` }), allowed: { status: 404, code: 'participant_not_found' } },
  'PUT /v1/cases/{id}/owner': { kind: 'act', command: true, probe: (x) => ({ method: 'put', path: `${c(x)}/owner`, body: { owner: 'olive' } }), allowed: { status: 422, code: 'no_change' } },
  'POST /v1/cases/{id}/close': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/close`, body: {} }), allowed: { status: 422, code: 'reason_required' } },
  'POST /v1/cases/{id}/reopen': { kind: 'reopen', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/reopen`, body: { reason: 'probe' } }), allowed: { status: 409, code: 'case_open' } },
  'POST /v1/cases/{id}/cancel': {
    kind: 'act',
    command: true,
    probe: (x) => ({ method: 'post', path: `${c(x)}/cancel`, body: { reason: 'probe' } }),
    allowed: { status: 200 },
    restore: async (x) => {
      if ((await stack.cases.view(x.caseKey)).status === 'open') return;
      expect((await send(admin(), { method: 'post', path: `${c(x)}/reopen`, body: { reason: 'matrix' } })).status).toBe(200);
    },
  },
  'PUT /v1/cases/{id}/sla/deadline': {
    kind: 'act',
    command: true,
    probe: (x) => ({ method: 'put', path: `${c(x)}/sla/deadline`, body: { deadlineAt: '2030-01-01T00:00:00Z', reason: 'probe' } }),
    allowed: { status: 409, code: 'no_clock' },
  },
  'POST /v1/cases/{id}/sla/pause': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/sla/pause`, body: { reason: 'probe' } }), allowed: { status: 409, code: 'no_clock' } },
  'POST /v1/cases/{id}/sla/resume': { kind: 'act', command: true, probe: (x) => ({ method: 'post', path: `${c(x)}/sla/resume`, body: {} }), allowed: { status: 409, code: 'no_clock' } },
  'POST /v1/tokens': { kind: 'admin', probe: () => ({ method: 'post', path: '/v1/tokens', body: { actorId: 'matrix-made', actorName: 'Made by the matrix' } }), allowed: { status: 201 } },
  'GET /v1/tokens': { kind: 'admin', probe: () => ({ method: 'get', path: '/v1/tokens' }), allowed: { status: 200 } },
  'DELETE /v1/tokens/{tokenId}': { kind: 'admin', probe: () => ({ method: 'delete', path: '/v1/tokens/tok_nope' }), allowed: { status: 404, code: 'not_found' } },
  'GET /v1/cases/{id}/documents': { kind: 'read', probe: (x) => ({ method: 'get', path: `${c(x)}/documents` }), allowed: { status: 200 } },
  // A file the slot does not accept: refused after every access check, before anything is stored.
  'POST /v1/cases/{id}/documents/{slot}': {
    kind: 'act',
    probe: (x) => ({ method: 'post', path: `${c(x)}/documents/doc`, file: { name: 'note.txt', type: 'text/plain', body: 'probe' } }),
    allowed: { status: 415, code: 'unsupported_content_type' },
  },
  'GET /v1/cases/{id}/documents/{slot}': { kind: 'read', probe: (x) => ({ method: 'get', path: `${c(x)}/documents/doc` }), allowed: { status: 200 } },
  'GET /v1/cases/{id}/documents/{slot}/versions/{version}': { kind: 'read', probe: (x) => ({ method: 'get', path: `${c(x)}/documents/doc/versions/1` }), allowed: { status: 200 } },
  'POST /v1/cases/{id}/documents/{docId}/review': {
    kind: 'act',
    command: true,
    probe: (x) => ({ method: 'post', path: `${c(x)}/documents/doc_nope/review`, body: { decision: 'approve' } }),
    allowed: { status: 404, code: 'document_not_found' },
  },
  'POST /v1/cases/{id}/generate-document': { kind: 'act', probe: (x) => ({ method: 'post', path: `${c(x)}/generate-document`, body: { template: 'nope' } }), allowed: { status: 404, code: 'unknown_document_template' } },
  'POST /v1/cases/{id}/portal-links': { kind: 'act', probe: (x) => ({ method: 'post', path: `${c(x)}/portal-links`, body: { participantId: 'P-1' } }), allowed: { status: 422, code: 'not_external_participant' } },
  'GET /v1/cases/{id}/portal-links': { kind: 'read', probe: (x) => ({ method: 'get', path: `${c(x)}/portal-links` }), allowed: { status: 200 } },
  'DELETE /v1/cases/{id}/portal-links/{linkId}': { kind: 'act', probe: (x) => ({ method: 'delete', path: `${c(x)}/portal-links/pl_nope` }), allowed: { status: 404, code: 'portal_link_not_found' } },
  'GET /v1/outbox': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/outbox' }), allowed: { status: 200 } },
  'GET /v1/notifications': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/notifications' }), allowed: { status: 200 } },
  'POST /v1/notifications/{notificationId}/read': { kind: 'authenticated', probe: () => ({ method: 'post', path: '/v1/notifications/ntf_nope/read' }), allowed: { status: 404, code: 'notification_not_found' } },
  // The caller's own things: every authenticated caller has them, nobody reaches another's.
  'GET /v1/me': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/me' }), allowed: { status: 200 } },
  'GET /v1/tasks': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/tasks' }), allowed: { status: 200 } },
  'GET /v1/views': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/views' }), allowed: { status: 200 } },
  // A view query that GET /v1/cases would refuse: refused the same way, nothing saved.
  'PUT /v1/views/{name}': { kind: 'authenticated', probe: () => ({ method: 'put', path: '/v1/views/probe', body: { query: { status: 'lost' } } }), allowed: { status: 422, code: 'validation_failed' } },
  'GET /v1/audit': {
    kind: 'authenticated',
    probe: () => ({ method: 'get', path: '/v1/audit?template=access-matrix&from=2000-01-01T00:00:00Z&to=2000-12-31T00:00:00Z' }),
    allowed: { status: 200 },
  },
  'GET /v1/reports/{template}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/reports/access-matrix' }), allowed: { status: 200 } },
  // The codec server of the Temporal UI: decoding shows every case's data, encoding is for sending commands past the API.
  'POST /codec/decode': { kind: 'sees-all', probe: () => ({ method: 'post', path: '/codec/decode', body: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'InByb2JlIg==' }] } }), allowed: { status: 200 } },
  'POST /codec/encode': { kind: 'admin', probe: () => ({ method: 'post', path: '/codec/encode', body: { payloads: [{ metadata: { encoding: 'anNvbi9wbGFpbg==' }, data: 'InByb2JlIg==' }] } }), allowed: { status: 200 } },
  // Bulk actions and migrations: a request refused for its content (nothing started), and progress
  // of one that does not exist (or is another's: the same 404).
  'POST /v1/bulk': { kind: 'authenticated', probe: () => ({ method: 'post', path: '/v1/bulk', body: { action: 'comment', params: { text: 'x' }, caseIds: [] } }), allowed: { status: 422, code: 'validation_failed' } },
  'GET /v1/bulk/{id}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/bulk/bulk-000000000000' }), allowed: { status: 404, code: 'batch_not_found' } },
  'POST /v1/bulk/{id}/cancel': { kind: 'authenticated', probe: () => ({ method: 'post', path: '/v1/bulk/bulk-000000000000/cancel' }), allowed: { status: 404, code: 'batch_not_found' } },
  'POST /v1/templates/{key}/migrations': {
    kind: 'admin',
    probe: () => ({ method: 'post', path: '/v1/templates/access-matrix/migrations', body: { fromVersion: 1, toVersion: 1, dryRun: true } }),
    allowed: { status: 422, code: 'validation_failed' },
  },
  'GET /v1/migrations/{id}': { kind: 'authenticated', probe: () => ({ method: 'get', path: '/v1/migrations/migration-000000000000' }), allowed: { status: 404, code: 'batch_not_found' } },
  'POST /v1/migrations/{id}/cancel': { kind: 'authenticated', probe: () => ({ method: 'post', path: '/v1/migrations/migration-000000000000/cancel' }), allowed: { status: 404, code: 'batch_not_found' } },
  'DELETE /v1/views/{name}': { kind: 'authenticated', probe: () => ({ method: 'delete', path: '/v1/views/nope' }), allowed: { status: 404, code: 'view_not_found' } },
};

/** The expected answer of one cell. */
function expected(op: Operation, who: Caller): Expected {
  if (!who.authenticated) return DENIED_AUTH;
  switch (op.kind) {
    case 'authenticated':
      return op.allowed;
    case 'admin':
      return who.admin ? op.allowed : FORBIDDEN;
    case 'sees-all':
      return who.seesAll ? op.allowed : FORBIDDEN;
    case 'start':
      return who.starts ? op.allowed : FORBIDDEN;
    case 'read':
      return who.sees ? op.allowed : NOT_FOUND;
    case 'act':
    case 'comment':
    case 'reopen': {
      if (!who.sees) return NOT_FOUND;
      if (who.readOnly) return FORBIDDEN;
      if (op.kind === 'reopen') return op.allowed;
      return (op.kind === 'act' ? who.acts : who.comments) ? op.allowed : FORBIDDEN;
    }
  }
}

const admin = () => callers[0]!;

function send(who: Caller, probe: Probe, extra: Record<string, string> = {}) {
  const req = stack.http()[probe.method](probe.path);
  if (who.header) req.set('Authorization', who.header);
  req.set(extra);
  if (probe.file) {
    const form = fileForm(probe.file.name, probe.file.type, probe.file.body);
    return req.set('Content-Type', form.contentType).send(form.body);
  }
  return probe.body ? req.send(probe.body) : req;
}

/** Everything a refused write must leave as it was: the case, and every table a write could touch. */
async function snapshot(db: Database, caseKey: string) {
  const rows = (await db.execute(sql`
    select
      (select coalesce(sum(last_number), 0) from case_sequences)::int as "caseKeys",
      (select count(*) from templates)::int as templates,
      (select count(*) from document_blobs)::int as blobs,
      (select count(*) from portal_links)::int as links,
      (select count(*) from portal_links where revoked_at is not null)::int as "revokedLinks",
      (select count(*) from api_tokens)::int as tokens,
      (select count(*) from api_tokens where revoked_at is not null)::int as "revokedTokens",
      (select count(*) from notifications where read_at is not null)::int as "readNotifications",
      (select count(*) from saved_views)::int as "savedViews"
  `)) as unknown as Array<Record<string, number>>;
  const counts = rows[0]!;
  // A snapshot that read nothing would compare equal to anything: make sure it holds numbers.
  for (const [name, n] of Object.entries(counts)) if (!Number.isInteger(n)) throw new Error(`snapshot: ${name} is ${String(n)}`);
  return { lastSeq: (await stack.cases.view(caseKey)).lastSeq, ...counts };
}

const ctx: Context = { caseKey: '', portalToken: '' };
let idp: FakeIdentityProvider;

beforeAll(async () => {
  // Failed authentications are the matrix's subject here, not an attack: no per-address limit, and
  // counters in memory (rate limits are not what this test is about).
  idp = await startFakeIdentityProvider('case-api');
  const key = await idp.newKey('k1');
  const stranger = await idp.newKey('k-unpublished');
  idp.publish(key);
  stack = await startTestStack({ env: { AUTH_FAILURE_LIMIT: '0', RATE_LIMIT_STORE: 'memory', OIDC_ISSUER: idp.issuer, OIDC_AUDIENCE: 'case-api' } });
  const now = Math.floor(Date.now() / 1000);
  const jwt = async (claims: Record<string, unknown>, signer = key) => `Bearer ${await idp.sign(signer, claims)}`;
  const token = async (id: string, roles: string[], opts: { expiresAt?: Date } = {}) =>
    createApiToken(stack.db, { actorId: id, actorName: id, roles, ...(opts.expiresAt ? { expiresAt: opts.expiresAt } : {}) });
  const headers: Record<string, string> = {
    admin: `Bearer ${stack.tokens.admin}`,
    auditor: `Bearer ${(await token('aude', ['auditor'])).token}`,
    owner: `Bearer ${(await token('olive', ['actor'])).token}`,
    'internal participant': `Bearer ${(await token('paul', ['clerk'])).token}`,
    'template view role': `Bearer ${(await token('vera', ['viewer'])).token}`,
    'stage act role': `Bearer ${(await token('sam', ['actor'])).token}`,
    'unrelated role': `Bearer ${(await token('uma', ['sales'])).token}`,
    'no role': `Bearer ${(await token('nora', [])).token}`,
    'expired token': `Bearer ${(await token('olive', ['actor'], { expiresAt: new Date(Date.now() - 60_000) })).token}`,
  };
  headers['JWT owner'] = await jwt({ sub: 'olive', name: 'Olive', roles: ['actor'] });
  headers['JWT unrelated role'] = await jwt({ sub: 'uma', name: 'Uma', roles: ['sales'] });
  headers['JWT expired'] = await jwt({ sub: 'olive', roles: ['actor'], iat: now - 3600, exp: now - 600 });
  headers['JWT wrong audience'] = await jwt({ sub: 'olive', roles: ['actor'], aud: 'another-api' });
  headers['JWT wrong key'] = await jwt({ sub: 'olive', roles: ['actor'] }, stranger);
  const revoked = await token('olive', ['actor']);
  await revokeApiToken(stack.db, revoked.id);
  headers['revoked token'] = `Bearer ${revoked.token}`;

  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(TEMPLATE)).status).toBe(201);
  const started = await stack
    .http()
    .post('/v1/cases')
    .set(auth(stack.tokens.admin))
    .send({
      template: 'access-matrix',
      title: 'Matrix case',
      fields: { fullName: 'Matrix Case' },
      owner: 'olive',
      participants: [
        { kind: 'internal', role: 'clerk', name: 'Paul', userId: 'paul' },
        { kind: 'external', role: 'candidate', name: 'Jane', email: 'jane@example.com' },
      ],
    });
  expect(started.status).toBe(201);
  ctx.caseKey = started.body.id;
  const form = fileForm('letter.pdf', 'application/pdf', '%PDF-1.4 matrix');
  const uploaded = await stack.http().post(`${c(ctx)}/documents/doc`).set(auth(stack.tokens.admin)).set('Content-Type', form.contentType).send(form.body);
  expect(uploaded.status).toBe(200);
  const link = await stack.http().post(`${c(ctx)}/portal-links`).set(auth(stack.tokens.admin)).send({ participantId: 'P-2' });
  expect(link.status).toBe(201);
  ctx.portalToken = link.body.token;
  headers['portal token as bearer'] = `Bearer ${ctx.portalToken}`;
  for (const who of callers) who.header = headers[who.name];
  // Lists and boards come from the read model: wait for the projection of everything above.
  const lastSeq = (await stack.cases.view(ctx.caseKey)).lastSeq;
  await eventually(async () => (await stack.http().get(`${c(ctx)}/timeline?limit=500`).set(auth(stack.tokens.admin))).body.items?.length === lastSeq);
}, 120_000);
afterAll(async () => {
  await stack?.close();
  await idp?.close();
});

test('every operation in /openapi.json has an expectation for every caller', async () => {
  const doc = (await stack.http().get('/openapi.json')).body as { paths: Record<string, Record<string, unknown>> };
  const documented = Object.entries(doc.paths).flatMap(([path, ops]) => Object.keys(ops).map((method) => `${method.toUpperCase()} ${path}`));
  expect(documented.filter((op) => !operations[op])).toEqual([]);
  expect(Object.keys(operations).filter((op) => !documented.includes(op))).toEqual([]);
  expect(callers.every((who) => who.header)).toBe(true);
});

test('each caller gets the expected answer from each operation, and a refused write changes nothing', async () => {
  const mismatches: string[] = [];
  const check = async (name: string, op: Operation, who: Caller, want: Expected, headers: Record<string, string> = {}) => {
    const res = await send(who, op.probe(ctx), headers);
    const got = { status: res.status, ...(want.code ? { code: res.body?.code } : {}) };
    if (got.status !== want.status || got.code !== want.code) {
      mismatches.push(`${name} as ${who.name}${headers.Prefer ? ' (async)' : ''}: expected ${JSON.stringify(want)}, got ${JSON.stringify(got)} ${res.body?.detail ?? ''}`);
    }
  };
  for (const [name, op] of Object.entries(operations)) {
    const cells = callers.map((who) => ({ who, want: expected(op, who) }));
    const write = op.probe(ctx).method !== 'get';
    // The refused callers first, against the same state: whatever they sent, nothing may change.
    const before = write ? await snapshot(stack.db, ctx.caseKey) : undefined;
    for (const { who, want } of cells.filter((cell) => cell.want.status >= 300)) {
      await check(name, op, who, want);
      // Asynchronous commands are refused up front by the case's dry run, exactly as synchronous ones.
      if (op.command && want.status !== 401) await check(name, op, who, want, { Prefer: 'respond-async' });
    }
    if (before) {
      const after = await snapshot(stack.db, ctx.caseKey);
      if (JSON.stringify(after) !== JSON.stringify(before)) mismatches.push(`${name}: refused writes changed ${JSON.stringify(before)} -> ${JSON.stringify(after)}`);
    }
    // Then those whose request goes through (a write that changes the case is undone).
    for (const { who, want } of cells.filter((cell) => cell.want.status < 300)) {
      await check(name, op, who, want);
      if (write) await op.restore?.(ctx);
    }
  }
  expect(mismatches).toEqual([]);
}, 300_000);

test('lists and boards hold the case, and count it, only for those who may see it', async () => {
  for (const who of callers.filter((x) => x.authenticated)) {
    const list = await send(who, { method: 'get', path: '/v1/cases?template=access-matrix' });
    expect({ who: who.name, ids: list.body.items.map((i: { id: string }) => i.id) }).toEqual({ who: who.name, ids: who.sees ? [ctx.caseKey] : [] });
    const search = await send(who, { method: 'get', path: '/v1/cases?q=matrix%20case' });
    expect({ who: who.name, ids: search.body.items.map((i: { id: string }) => i.id) }).toEqual({ who: who.name, ids: who.sees ? [ctx.caseKey] : [] });
    const board = await send(who, { method: 'get', path: '/v1/boards/access-matrix' });
    const work = board.body.stages.find((s: { key: string }) => s.key === 'work');
    expect({ who: who.name, count: work.count, cases: work.cases.length }).toEqual({ who: who.name, count: who.sees ? 1 : 0, cases: who.sees ? 1 : 0 });
  }
});

test('an invisible case answers exactly like a missing one, for reads and writes', async () => {
  const outsider = callers.find((x) => x.name === 'unrelated role')!;
  const missing = `/v1/cases/MTX-999999`;
  const pairs: Array<[Probe, Probe]> = [
    [{ method: 'get', path: c(ctx) }, { method: 'get', path: missing }],
    [{ method: 'get', path: `${c(ctx)}/timeline` }, { method: 'get', path: `${missing}/timeline` }],
    [{ method: 'get', path: `${c(ctx)}/documents/doc` }, { method: 'get', path: `${missing}/documents/doc` }],
    [{ method: 'post', path: `${c(ctx)}/comments`, body: { text: 'x' } }, { method: 'post', path: `${missing}/comments`, body: { text: 'x' } }],
    [{ method: 'get', path: `${c(ctx)}/portal-links` }, { method: 'get', path: `${missing}/portal-links` }],
  ];
  const strip = (body: Record<string, unknown>) => ({ ...body, instance: undefined, detail: String(body.detail).replace(/MTX-\d+/, 'MTX-?') });
  for (const [hidden, absent] of pairs) {
    const a = await send(outsider, hidden);
    const b = await send(outsider, absent);
    expect([a.status, strip(a.body)]).toEqual([b.status, strip(b.body)]);
    expect(Object.keys(a.headers).filter((h) => !['date', 'etag', 'content-length', 'x-request-id'].includes(h) && !h.startsWith('ratelimit')).sort()).toEqual(
      Object.keys(b.headers).filter((h) => !['date', 'etag', 'content-length', 'x-request-id'].includes(h) && !h.startsWith('ratelimit')).sort(),
    );
  }
});
