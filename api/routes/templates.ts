import { isMainThread, parentPort, Worker } from 'node:worker_threads';
import YAML from 'yaml';
import { z } from 'zod';
import { ADMIN_ROLE } from '../../domain/actor';
import { templateDefinitionSchema } from '../../domain/schemas/template';
import type { TemplateDefinition } from '../../domain/template';
import { validateTemplate, type ValidationOptions } from '../../domain/template-validation';
import { PrefixTakenError, getTemplate, listTemplateVersions, listTemplates, publishTemplate } from '../../db/templates';
import type { ApiDeps } from '../deps';
import { Problem, type ProblemCode } from '../errors';
import { assertStorable } from '../input-guards';
import { defineRoute } from '../route';
import { publishedTemplateSchema, templateKeyParams, templateListSchema, templateVersionParams } from '../schemas';

export const YAML_TYPES = ['application/yaml', 'application/x-yaml', 'text/yaml', 'text/x-yaml'];

/**
 * Reads a template from a JSON body, or from YAML text when sent as YAML. Parsed YAML is checked
 * like a JSON body (app.ts): an escape such as "\0" or "\x00" yields a NUL PostgreSQL cannot store.
 */
function readDefinition(body: unknown): unknown {
  if (typeof body !== 'string') return body;
  let definition: unknown;
  try {
    definition = YAML.parse(body, { prettyErrors: true });
  } catch (err) {
    throw new Problem('invalid_template', `The YAML does not parse: ${(err as Error).message}`, {
      errors: [{ path: 'body', message: (err as Error).message }],
    });
  }
  assertStorable(definition);
  return definition;
}

/** Parses and validates a publish body; throws the `Problem` to answer with. The worker thread's job. */
function readAndValidateHere(body: unknown, options: ValidationOptions): TemplateDefinition {
  const validation = validateTemplate(readDefinition(body), options);
  if (!validation.ok) {
    const n = validation.problems.length;
    throw new Problem('invalid_template', `The template has ${n} problem${n === 1 ? '' : 's'}`, { errors: validation.problems });
  }
  return validation.template;
}

/*
 * Publishing parses and validates off the event loop. Measured with scripts/bench-publish.ts:
 * YAML near the 1 MB body limit takes the yaml package seconds (1 MB of flow mappings ≈ 3–5 s,
 * anchor/alias pairs resolve in quadratic time: 300 KB ≈ 6 s, 1 MB ≈ a minute), and the largest
 * template whose conditions each run up to their step budget on the publish-time sample takes
 * ≈ 250 ms to validate — against ~50 ms the API may stall every other request for. So one worker
 * thread does it, one publish at a time, and a publish that takes longer than
 * VALIDATION_TIME_LIMIT_MS (or more memory than its heap limit) is answered 422 "too complex to
 * validate" and the thread replaced. What the worker answers is exactly what validating here
 * would: the same function runs there.
 */

/**
 * How long one publish may parse and validate: the largest realistic template (≈ 190 KiB of YAML)
 * takes 0.3–1.1 s on a busy 2-core machine, cold; the YAML tricks above take 3 s to a minute.
 */
export const VALIDATION_TIME_LIMIT_MS = 5_000;
/** Heap of the validation thread: YAML aliases can make a 1 MB body resolve into far more. */
const VALIDATION_HEAP_MB = 512;
/**
 * An idle thread is stopped after this long: publishing is rare, and a process that loads this
 * module afresh (each jest test file does) would otherwise collect threads of ~50 MB each.
 */
const VALIDATOR_IDLE_MS = 30_000;

interface Job {
  body: unknown;
  options: ValidationOptions;
}

/** What the worker sends back; a Problem crosses the thread as its fields. */
type Reply =
  | { ok: true; template: TemplateDefinition }
  | { ok: false; problem: { code: ProblemCode; detail: string; extra: Problem['extra'] } }
  | { ok: false; error: string };

function runJob(job: Job): Reply {
  try {
    return { ok: true, template: readAndValidateHere(job.body, job.options) };
  } catch (err) {
    if (err instanceof Problem) return { ok: false, problem: { code: err.code, detail: err.detail, extra: err.extra } };
    return { ok: false, error: err instanceof Error ? (err.stack ?? err.message) : String(err) };
  }
}

/** Entry point of the validation thread (see BOOTSTRAP): answers jobs in order, one at a time. */
export function serveValidationJobs(): void {
  if (isMainThread || !parentPort) throw new Error('serveValidationJobs runs in the validation worker thread');
  const port = parentPort;
  port.on('message', (job: Job) => port.postMessage(runJob(job)));
  port.postMessage({ ready: true });
}

/**
 * Loads this module in the thread. Under tsx or jest the module is TypeScript, which a worker
 * thread cannot load by itself (not even with `--import tsx` inherited): tsx's CommonJS hook does it.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
if (/\\.ts$/.test(workerData.file)) require('tsx/cjs/api').register();
require(workerData.file).serveValidationJobs();
`;

const tooComplex = (why: string) =>
  new Problem('invalid_template', `The template is too complex to validate: ${why}`, { errors: [{ path: 'body', message: 'too complex to validate' }] });

/** The validation thread, started on first use, replaced after a publish that overran it, stopped when idle. */
class TemplateValidator {
  private thread: Promise<Worker> | undefined;
  private queue: Promise<unknown> = Promise.resolve();
  private pending = 0;
  private idle: NodeJS.Timeout | undefined;

  /** Validates `job` after the publishes before it: the thread does one at a time, each on its own clock. */
  validate(job: Job): Promise<TemplateDefinition> {
    clearTimeout(this.idle);
    this.pending++;
    const run = this.queue.then(async () => this.run(await this.started(), job));
    this.queue = run.catch(() => undefined).then(() => {
      if (--this.pending === 0) this.idle = setTimeout(() => this.stop(), VALIDATOR_IDLE_MS).unref();
    });
    return run;
  }

  private stop(): void {
    const thread = this.thread;
    this.thread = undefined;
    void thread?.then((t) => t.terminate(), () => undefined);
  }

  private started(): Promise<Worker> {
    if (!this.thread) {
      const starting = startThread();
      this.thread = starting;
      // A thread that failed to start is not kept: the next publish tries again.
      starting.catch(() => {
        if (this.thread === starting) this.thread = undefined;
      });
    }
    return this.thread;
  }

  private run(thread: Worker, job: Job): Promise<TemplateDefinition> {
    return new Promise<TemplateDefinition>((resolve, reject) => {
      const finish = (settle: () => void) => {
        clearTimeout(timer);
        thread.off('message', onMessage).off('exit', onExit);
        settle();
      };
      const onMessage = (reply: Reply) =>
        finish(() => {
          if (reply.ok) resolve(reply.template);
          else if ('problem' in reply) reject(new Problem(reply.problem.code, reply.problem.detail, reply.problem.extra));
          else reject(new Error(`template validation failed: ${reply.error}`));
        });
      // Out of memory (its heap limit) or any other death mid-publish: the input made it so.
      const onExit = () =>
        finish(() => {
          this.thread = undefined;
          reject(tooComplex('validating it took more memory than allowed'));
        });
      const timer = setTimeout(() => {
        finish(() => {
          this.thread = undefined;
          void thread.terminate();
          reject(tooComplex(`parsing and validating it took longer than ${VALIDATION_TIME_LIMIT_MS / 1000} s`));
        });
      }, VALIDATION_TIME_LIMIT_MS);
      thread.on('message', onMessage).on('exit', onExit);
      try {
        thread.postMessage(job);
      } catch {
        // A JSON body too deep to copy to the thread (app.ts refuses those first, but this must not
        // depend on it): validation's first check answers such a body without recursing, right here.
        finish(() => {
          try {
            resolve(readAndValidateHere(job.body, job.options));
          } catch (err) {
            reject(err);
          }
        });
      }
    });
  }
}

function startThread(): Promise<Worker> {
  const thread = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { file: __filename },
    resourceLimits: { maxOldGenerationSizeMb: VALIDATION_HEAP_MB },
  });
  // An idle validator must not keep the process alive; a publish in progress has its timer for that.
  thread.unref();
  let failure: unknown;
  // Without a listener, a thread's error (out of memory…) would be thrown in the API process.
  thread.on('error', (err) => (failure = err));
  return new Promise<Worker>((resolve, reject) => {
    const onExit = (code: number) => reject(new Error(`the template validation thread did not start (exit ${code}): ${String(failure)}`));
    thread.once('exit', onExit);
    thread.once('message', () => {
      thread.off('exit', onExit);
      resolve(thread);
    });
  });
}

let validator: TemplateValidator | undefined;

/**
 * Parses (YAML) and validates a publish body off the event loop, within VALIDATION_TIME_LIMIT_MS.
 * Resolves with the valid definition; rejects with the `Problem` to answer (`invalid_template`
 * with every problem, a YAML that does not parse, or "too complex to validate").
 */
export function readAndValidate(body: unknown, options: ValidationOptions): Promise<TemplateDefinition> {
  validator ??= new TemplateValidator();
  return validator.validate({ body, options });
}

export function templateRoutes({ db, config }: ApiDeps) {
  return [
    defineRoute({
      method: 'post',
      path: '/v1/templates',
      operationId: 'publishTemplate',
      summary: 'Publish a template',
      description:
        'Publishes a template definition (JSON, or YAML with a YAML content type). Publishing an existing key makes a new immutable version; ' +
        'publishing a definition identical to the latest version returns that version with 200. Every problem is reported at once (422), limits of ' +
        'template logic included (condition depth, nodes and iteration nesting, tags and section depth of texts, JSON nesting, size); a body that ' +
        `takes longer than ${VALIDATION_TIME_LIMIT_MS / 1000} s to parse and validate is refused as too complex to validate (422). Requires the admin role.`,
      tags: ['Templates'],
      rawBody: templateDefinitionSchema,
      bodyContentTypes: YAML_TYPES,
      responses: {
        201: { description: 'A new version was published', schema: publishedTemplateSchema },
        200: { description: 'Identical to the latest version: nothing new was published', schema: publishedTemplateSchema },
      },
      problems: ['invalid_template', 'prefix_taken', 'forbidden', 'unsupported_media_type'],
      handler: async ({ req, actor }) => {
        if (!actor.roles.includes(ADMIN_ROLE)) throw new Problem('forbidden', 'Publishing templates needs the admin role');
        if (req.body === undefined) throw new Problem('invalid_template', 'Send the template as JSON or YAML', { errors: [{ path: 'body', message: 'required' }] });
        const definition = await readAndValidate(req.body, { webhookAllowedHosts: config.WEBHOOK_ALLOWED_HOSTS });
        const source = typeof req.body === 'string' ? req.body : undefined;
        try {
          const published = await publishTemplate(db, { definition, ...(source ? { source } : {}), publishedBy: actor.id });
          const { created, ...template } = published;
          return {
            status: created ? 201 : 200,
            headers: { Location: `/v1/templates/${template.key}/versions/${template.version}` },
            body: { ...template, name: template.definition.name },
          };
        } catch (err) {
          if (err instanceof PrefixTakenError) throw new Problem('prefix_taken', err.message);
          throw err;
        }
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates',
      operationId: 'listTemplates',
      summary: 'List templates (latest version of each)',
      tags: ['Templates'],
      responses: { 200: { description: 'Templates', schema: templateListSchema } },
      handler: async () => ({ body: { items: await listTemplates(db) } }),
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key',
      operationId: 'getTemplate',
      summary: 'The latest version of a template',
      tags: ['Templates'],
      params: templateKeyParams,
      responses: { 200: { description: 'The template', schema: publishedTemplateSchema } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const template = await getTemplate(db, params.key);
        if (!template) throw new Problem('template_not_found', `No template "${params.key}"`);
        return { body: { ...template, name: template.definition.name } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key/versions',
      operationId: 'listTemplateVersions',
      summary: 'Every published version of a template',
      tags: ['Templates'],
      params: templateKeyParams,
      responses: { 200: { description: 'Versions, oldest first', schema: z.object({ items: z.array(publishedTemplateSchema) }) } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const versions = await listTemplateVersions(db, params.key);
        if (!versions.length) throw new Problem('template_not_found', `No template "${params.key}"`);
        return { body: { items: versions.map((t) => ({ ...t, name: t.definition.name })) } };
      },
    }),
    defineRoute({
      method: 'get',
      path: '/v1/templates/:key/versions/:v',
      operationId: 'getTemplateVersion',
      summary: 'One version of a template',
      tags: ['Templates'],
      params: templateVersionParams,
      responses: { 200: { description: 'The template version', schema: publishedTemplateSchema } },
      problems: ['template_not_found'],
      handler: async ({ params }) => {
        const template = await getTemplate(db, params.key, params.v);
        if (!template) throw new Problem('template_not_found', `No version ${params.v} of template "${params.key}"`);
        return { body: { ...template, name: template.definition.name } };
      },
    }),
  ];
}
