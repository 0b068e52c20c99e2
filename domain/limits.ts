/**
 * Every size limit of a case in one place: the API's schemas and OpenAPI document, the workflow's
 * message check, `decide` and the template validation all read these, and the README's "Limits"
 * table lists them. A case must survive anything a user can send, so what it carries is bounded
 * in bytes by construction, far under Temporal's 2 MiB payload limit:
 *
 *   continue-as-new input ≤ template + state + recent + backlog (hard) + processed ids + effects
 *                         ≤ 192 + 192 + 64 + 448 + 64 + 256 KiB ≈ 1.2 MiB
 *   update result         ≤ view (≈ state) + one command's events ≤ 192 + 192 KiB (+ a little)
 */

const KiB = 1024;

/** Characters of free-text inputs (the API trims them first). */
export const TEXT = {
  /** Keys of stages, fields, slots, roles, tasks (and template keys). */
  key: 63,
  caseTitle: 300,
  comment: 10_000,
  reason: 2_000,
  decision: 500,
  justification: 10_000,
  decisionOption: 500,
  taskTitle: 300,
  taskDescription: 10_000,
  taskNote: 10_000,
  userId: 200,
  personName: 200,
  email: 320,
  /** Field values of type `text`; `longtext` holds more. */
  textField: 1_000,
  longtextField: 20_000,
  fileName: 255,
  contentType: 255,
  documentId: 100,
  /** `Idempotency-Key` header (the update id of a command). */
  idempotencyKey: 200,
} as const;

/** How many of a thing one request or one case may hold. */
export const COUNT = {
  /** Field values in one `PATCH …/fields` or one start. */
  fieldsPerChange: 100,
  participantsAtStart: 100,
  decisionOptions: 50,
  /** Per case (open and completed tasks, current participants, decisions, versions per slot). */
  tasksPerCase: 500,
  participantsPerCase: 200,
  decisionsPerCase: 500,
  versionsPerSlot: 100,
  /** Problems listed in one refusal; the rest are counted (`errorCount`). */
  problemsListed: 20,
} as const;

/** Byte budgets (UTF-8 JSON) of what a case workflow holds and sends. */
export const BYTES = {
  /** One command as it reaches the workflow (actor and request id included). */
  command: 64 * KiB,
  /** The events one command appends, automations' reactions included. */
  eventsPerCommand: 192 * KiB,
  /** A case's state (fields, tasks, participants, decisions, documents' metadata); ≈ its view. */
  state: 192 * KiB,
  /** A published template definition. */
  template: 192 * KiB,
  /** Recent events the workflow keeps for its recent-timeline query and idempotent replies. */
  recentEvents: 64 * KiB,
  /**
   * Events waiting for the read model: beyond this, new commands are refused with `case_busy`.
   * Above one command's worth, so commands one after another never meet it while the read model
   * keeps up (it acknowledges within milliseconds); only a flood or a read-model outage does.
   */
  backlogSoft: 256 * KiB,
  /** …and beyond this (soft + one command's worth), refusals are only counted, not recorded. */
  backlogHard: 448 * KiB,
  /** Request ids remembered across continue-as-new (at most PROCESSED_REQUESTS of them). */
  processedRequests: 64 * KiB,
  /** Effects (e-mails, notifications, webhooks, documents) waiting to run, and one effect. */
  pendingEffects: 256 * KiB,
  effect: 128 * KiB,
  /** One projection batch sent to the read model. */
  projectionBatch: 512 * KiB,
  /** A continued run starts fresh after this much history, whatever the server suggests. */
  historyPerRun: 8 * 1024 * KiB,
} as const;

/** Events per run beyond which a case continues as new even if the server has not suggested it. */
export const EVENTS_PER_RUN = 8_000;
/** Request ids remembered across continue-as-new so a late retry is still applied once. */
export const PROCESSED_REQUESTS = 1_000;
/** Events in one projection batch (also bounded by BYTES.projectionBatch). */
export const PROJECTION_BATCH_EVENTS = 200;

/**
 * How long the case workflow leaves an update's events to its caller (the API writes them to the
 * read model as it answers) before it writes them itself — what a lost caller costs in read-model
 * lag. Longer means fewer workflow tasks per command; a backlog over PROMPT_PROJECTION_BYTES or
 * any event the caller does not have (signals, deadlines, effects) is written at once, and a
 * caller whose write failed says so (`projectBacklog`). This is the grace of runs started without
 * one in their input (`callerGraceMs`, from PROJECTION_GRACE_MS): what they recorded replays as it ran.
 */
export const CALLER_PROJECTION_GRACE_MS = 2_000;
export const PROMPT_PROJECTION_BYTES = 32 * KiB;
/**
 * How often, at most, a case upserts search attributes that keep changing, in runs continued from
 * a run started before it was set per case (SEARCH_ATTRIBUTES_EVERY_MS sets it at each start).
 */
export const SEARCH_ATTRIBUTES_EVERY_MS = 1_000;
/** Recent events kept by the workflow (also bounded by BYTES.recentEvents). */
export const RECENT_EVENTS = 100;

/** Budgets of template logic: checked statically at publish, counted again while it runs. */
export const LOGIC = {
  /** JSONLogic conditions. */
  conditionDepth: 12,
  conditionNodes: 200,
  /** `map`/`filter`/`reduce`/`all`/`some`/`none` inside one another. */
  conditionIterationNesting: 2,
  /** Operations evaluated for one condition at run time. */
  conditionSteps: 10_000,
  /** Longest string or array a condition may build (`cat`, `merge`, `substr`). */
  conditionValueLength: 64 * 1024,
  /** Mustache texts. */
  textTags: 500,
  textSectionDepth: 4,
  /** Characters one rendering may produce. */
  renderedLength: 256 * 1024,
  /** Nesting depth of JSON a template carries (webhook payloads, field values). */
  jsonDepth: 20,
  /** Nesting depth of any JSON request body. */
  bodyDepth: 32,
} as const;

/** Size of a value as UTF-8 JSON, the way Temporal's payloads count it. */
export function jsonBytes(value: unknown): number {
  const text = JSON.stringify(value);
  return text === undefined ? 0 : utf8Length(text);
}

/** UTF-8 length of a string without encoding it (no TextEncoder in every runtime this runs in). */
export function utf8Length(text: string): number {
  let bytes = text.length;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c < 0x80) continue;
    if (c < 0x800) bytes += 1;
    else if (c >= 0xd800 && c <= 0xdbff) {
      // A surrogate pair: 2 UTF-16 units, 4 bytes.
      bytes += 2;
      i++;
    } else bytes += 2;
  }
  return bytes;
}

/** `1.5 KiB`, `192 KiB`: how limits read in messages. */
export function formatBytes(bytes: number): string {
  if (bytes < KiB) return `${bytes} B`;
  if (bytes < KiB * KiB) return `${Number((bytes / KiB).toFixed(1))} KiB`;
  return `${Number((bytes / KiB / KiB).toFixed(1))} MiB`;
}
