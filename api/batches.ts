import { createHash, randomBytes } from 'node:crypto';
import { batchCaseKeys, casesOfVersion, createBatch, getBatchProgress, listBatchItems, type BatchProgress } from '../db/batches';
import { caseExportBatches } from '../db/exports';
import { claimIdempotencyKey, findIdempotencyKey } from '../db/idempotency';
import { getTemplate, listTemplateVersions } from '../db/templates';
import { ADMIN_ROLE, type Actor } from '../domain/actor';
import { BATCH_LIMITS, bulkCommand, type BatchKind, type BatchMessage } from '../domain/batch';
import { checkMigration, migrationPlanProblems, viewSubject, type MigrationPlan } from '../domain/migration';
import type { BulkRequest } from '../domain/schemas/batch';
import { readPinnedDefinition } from '../domain/schemas/template';
import type { TemplateDefinition } from '../domain/template';
import { isReadOnly } from '../domain/visibility';
import type { ApiDeps } from './deps';
import { Problem } from './errors';

/**
 * Bulk actions and template migrations as the API runs them: resolve the cases (ids, or a filter
 * over the read model as the caller may see it), record the batch, start its workflow
 * (workflows/batch-workflow.ts) — idempotent by Idempotency-Key — and report its progress.
 */

type Deps = Pick<ApiDeps, 'db' | 'cases' | 'temporal' | 'config'>;

export interface BatchAnswer extends BatchProgress {
  workflowId: string;
  items: Awaited<ReturnType<typeof listBatchItems>>['items'];
  nextCursor: number | null;
}

const reused = () => new Problem('idempotency_key_reused', 'This Idempotency-Key was already used with a different request body');

/** A bulk action: every case answers for itself, as the caller (their permissions, per case). */
export async function submitBulk(deps: Deps, actor: Actor, request: BulkRequest, idempotencyKey?: string): Promise<string> {
  if (isReadOnly(actor)) throw new Problem('forbidden', `${actor.name} has read-only access: bulk actions change cases`);
  const message: BatchMessage =
    request.action === 'migrate'
      ? { type: 'migrate', plan: (await loadPlan(deps, request.params.template, request.params)).plan }
      : { type: 'command', command: bulkCommand(request) };
  return submit(deps, actor, idempotencyKey, {
    kind: 'bulk',
    action: request.action,
    ...(request.action === 'migrate' ? { templateKey: request.params.template } : {}),
    request: request as unknown as Record<string, unknown>,
    message,
    perSecond: request.perSecond,
    caseKeys: async () => (request.caseIds ? [...new Set(request.caseIds)] : await filteredKeys(deps, actor, request.filter!)),
  });
}

export interface MigrationInput {
  fromVersion: number;
  toVersion: number;
  stageMap: Record<string, string>;
  fieldMap: Record<string, string | null>;
  filter?: { stage?: string | undefined; status?: 'open' | 'closed' | 'cancelled' | undefined; owner?: string | undefined; overdue?: boolean | undefined; q?: string | undefined; stalled?: boolean | undefined } | undefined;
  dryRun: boolean;
  perSecond: number;
}

export interface MigrationDryRun {
  dryRun: true;
  template: string;
  fromVersion: number;
  toVersion: number;
  counts: { total: number; movable: number; blocked: number };
  cases: Array<{ id: string; canMove: boolean; stage: { from: string; to: string } | null; fieldChanges: Array<{ field: string; to: string | null }>; blockers: Array<{ code: string; path: string; message: string }> }>;
}

/**
 * A migration of a template's cases from one version to another: a dry run reports per case
 * whether it can move (checked over the read model); otherwise a batch sends every matching case
 * a `migrate`, which each case checks again against its own state at that moment.
 */
export async function submitMigration(deps: Deps, actor: Actor, templateKey: string, input: MigrationInput, idempotencyKey?: string): Promise<MigrationDryRun | string> {
  if (!actor.roles.includes(ADMIN_ROLE)) throw new Problem('forbidden', 'Migrating cases between template versions needs the admin role');
  const { plan, to } = await loadPlan(deps, templateKey, input);
  const filter = input.filter ?? {};
  if (input.dryRun) {
    const cases: MigrationDryRun['cases'] = [];
    for await (const rows of casesOfVersion(deps.db, { templateKey, version: plan.fromVersion, filter }, actor)) {
      for (const { key, view } of rows) {
        const check = checkMigration(viewSubject(view), to, plan);
        cases.push(
          check.ok
            ? { id: key, canMove: true, stage: check.stage, fieldChanges: check.fieldChanges, blockers: [] }
            : { id: key, canMove: false, stage: null, fieldChanges: [], blockers: check.blockers },
        );
      }
      if (cases.length > BATCH_LIMITS.maxCases) throw tooMany(cases.length, 'filter');
    }
    const movable = cases.filter((c) => c.canMove).length;
    return { dryRun: true, template: templateKey, fromVersion: plan.fromVersion, toVersion: plan.toVersion, counts: { total: cases.length, movable, blocked: cases.length - movable }, cases };
  }
  return submit(deps, actor, idempotencyKey, {
    kind: 'migration',
    action: 'migrate',
    templateKey,
    request: { ...input, template: templateKey } as unknown as Record<string, unknown>,
    message: { type: 'migrate', plan },
    perSecond: input.perSecond,
    caseKeys: async () => {
      const keys: string[] = [];
      for await (const rows of casesOfVersion(deps.db, { templateKey, version: plan.fromVersion, filter }, actor)) {
        keys.push(...rows.map((r) => r.key));
        if (keys.length > BATCH_LIMITS.maxCases) throw tooMany(keys.length, 'filter');
      }
      return keys;
    },
  });
}

/** A batch with one page of its cases, for the requester or an admin (404 for anyone else). */
export async function batchAnswer(deps: Deps, actor: Actor, kind: BatchKind, id: string, page: { after?: number | undefined; limit: number; outcome?: BatchAnswer['items'][number]['outcome'] | undefined }): Promise<BatchAnswer> {
  const progress = await visibleProgress(deps, actor, kind, id);
  const items = await listBatchItems(deps.db, id, { limit: page.limit, ...(page.after !== undefined ? { after: page.after } : {}), ...(page.outcome ? { outcome: page.outcome } : {}) });
  return { ...progress, workflowId: id, ...items };
}

/** Cancels a running batch: cases already done stay done, the rest are marked `cancelled`. */
export async function cancelBatch(deps: Deps, actor: Actor, kind: BatchKind, id: string): Promise<BatchAnswer> {
  const progress = await visibleProgress(deps, actor, kind, id);
  if (progress.status !== 'running') throw new Problem('batch_finished', `${kindName(kind)} ${id} has already ${progress.status === 'cancelled' ? 'been cancelled' : 'finished'}`);
  await deps.cases.cancelBatch(id);
  return batchAnswer(deps, actor, kind, id, { limit: 100 });
}

async function visibleProgress(deps: Deps, actor: Actor, kind: BatchKind, id: string): Promise<BatchProgress> {
  const progress = await getBatchProgress(deps.db, id, kind);
  if (!progress || (progress.requestedBy.id !== actor.id && !actor.roles.includes(ADMIN_ROLE))) throw notFound(kind, id);
  return progress;
}

// -------------------------------------------------------------------------------------------------

interface BatchSpec {
  kind: BatchKind;
  action: string;
  templateKey?: string;
  request: Record<string, unknown>;
  message: BatchMessage;
  perSecond: number;
  caseKeys: () => Promise<string[]>;
}

/**
 * Records and starts a batch. With an Idempotency-Key, a retry — even one after a crash between
 * recording and starting — ends with the same batch, started once, over the cases recorded first.
 */
async function submit(deps: Deps, actor: Actor, idempotencyKey: string | undefined, spec: BatchSpec): Promise<string> {
  const scope = `${spec.kind}:${actor.id}`;
  const requestHash = createHash('sha256').update(JSON.stringify(spec.request)).digest('hex');
  const earlier = idempotencyKey ? await findIdempotencyKey<{ batchId: string }>(deps.db, scope, idempotencyKey) : null;
  if (earlier && earlier.requestHash !== requestHash) throw reused();
  let batchId = earlier?.result.batchId;
  let caseKeys = batchId ? await batchCaseKeys(deps.db, batchId) : undefined;
  if (!batchId || !caseKeys) {
    caseKeys = await spec.caseKeys();
    if (caseKeys.length === 0) throw new Problem('validation_failed', 'No case matches: nothing to do', { errors: [{ path: 'filter', message: 'matches no case you may see' }] });
    batchId ??= `${spec.kind}-${randomBytes(6).toString('hex')}`;
    if (idempotencyKey && !earlier) {
      const claim = await claimIdempotencyKey(deps.db, { scope, key: idempotencyKey, requestHash, result: { batchId } });
      if (!claim.claimed) {
        if (claim.requestHash !== requestHash) throw reused();
        batchId = claim.result.batchId;
      }
    }
    await createBatch(deps.db, { id: batchId, kind: spec.kind, action: spec.action, ...(spec.templateKey ? { templateKey: spec.templateKey } : {}), request: spec.request, actor, caseKeys });
    // A lost claim race: the winner's batch and its cases.
    caseKeys = (await batchCaseKeys(deps.db, batchId)) ?? caseKeys;
  }
  const input = { batchId, kind: spec.kind, actor, message: spec.message, caseKeys, perSecond: spec.perSecond };
  await deps.cases.startBatch(input);
  return batchId;
}

/** The plan checked against both versions of the template: 404 for an unknown template, 422 for what does not fit. */
async function loadPlan(
  deps: Deps,
  templateKey: string,
  input: { fromVersion: number; toVersion: number; stageMap: Record<string, string>; fieldMap: Record<string, string | null> },
): Promise<{ plan: MigrationPlan; from: TemplateDefinition; to: TemplateDefinition }> {
  const versions = await listTemplateVersions(deps.db, templateKey);
  if (versions.length === 0) throw new Problem('template_not_found', `No template "${templateKey}"`);
  const definitionOf = async (version: number, path: string) => {
    const stored = versions.some((v) => v.version === version) ? await getTemplate(deps.db, templateKey, version) : null;
    if (!stored) {
      const known = versions.map((v) => v.version).sort((a, b) => a - b).join(', ');
      throw new Problem('validation_failed', `Template "${templateKey}" has no version ${version}`, { errors: [{ path, message: `no such version of "${templateKey}"; its versions are: ${known}` }] });
    }
    return readPinnedDefinition(stored.definition).definition;
  };
  const from = await definitionOf(input.fromVersion, 'fromVersion');
  const to = await definitionOf(input.toVersion, 'toVersion');
  const plan: MigrationPlan = { templateKey, fromVersion: input.fromVersion, toVersion: input.toVersion, stageMap: input.stageMap, fieldMap: input.fieldMap };
  const problems = migrationPlanProblems(plan, from, to);
  if (problems.length > 0) throw new Problem('validation_failed', `The migration from version ${plan.fromVersion} to ${plan.toVersion} does not fit the template`, { errors: problems });
  return { plan, from, to };
}

/** The keys of every case the caller may see matching a list filter (at most BATCH_LIMITS.maxCases). */
async function filteredKeys(deps: Deps, actor: Actor, filter: NonNullable<BulkRequest['filter']>): Promise<string[]> {
  const keys: string[] = [];
  for await (const rows of caseExportBatches(deps.db, filter, actor)) {
    keys.push(...rows.map((r) => r.id));
    if (keys.length > BATCH_LIMITS.maxCases) throw tooMany(keys.length, 'filter');
  }
  return keys;
}

function tooMany(atLeast: number, path: string): Problem {
  return new Problem('limit_exceeded', `The request matches more than ${BATCH_LIMITS.maxCases} cases (at least ${atLeast}); narrow the filter`, {
    errors: [{ path, message: `matches more than ${BATCH_LIMITS.maxCases} cases` }],
  });
}

const kindName = (kind: BatchKind) => (kind === 'bulk' ? 'Bulk action' : 'Migration');
const notFound = (kind: BatchKind, id: string) => new Problem('batch_not_found', `${kindName(kind)} ${id} does not exist or is not yours`);

