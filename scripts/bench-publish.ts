/**
 * How long publishing a template can hold the API's event loop. Builds the worst publishes we
 * know of within the limits (LOGIC, BYTES.template, the 1 MB body limit) and times, for each:
 *
 *   inline   YAML.parse + validateTemplate on the calling thread: what POST /v1/templates did
 *            before validation moved to a worker thread (the whole time blocks the event loop);
 *   worker   the route's `readAndValidate` (YAML and validation in a worker thread with a time
 *            limit): the event loop's longest stall while it runs (machine noise included: the
 *            noise floor is printed first), the main thread's busy time in all (an upper bound
 *            of its longest block, without the noise), and the publish's wall time.
 *
 *   npx tsx scripts/bench-publish.ts [--rounds 3] [--only yaml-aliases] [--skip-inline yaml-aliases]
 *
 * `inline` of a YAML alias chain near 1 MB runs for about a minute (the yaml package resolves
 * each alias by scanning every anchor before it): --skip-inline leaves it out.
 */
import fs from 'node:fs';
import path from 'node:path';
import { monitorEventLoopDelay, performance } from 'node:perf_hooks';
import { parseArgs } from 'node:util';
import YAML from 'yaml';
import { BYTES, LOGIC } from '../domain/limits';
import { validateTemplate } from '../domain/template-validation';

const { values } = parseArgs({
  options: {
    rounds: { type: 'string', default: '3' },
    only: { type: 'string', multiple: true },
    'skip-inline': { type: 'string', multiple: true },
  },
});
const rounds = Number(values.rounds);
const MB = 1024 * 1024;
/** express's default BODY_LIMIT (config/env.ts). */
const BODY_LIMIT = MB;
const options = { webhookAllowedHosts: ['hooks.example.com'] };

interface Scenario {
  name: string;
  what: string;
  /** A YAML text, or a JSON body as express hands it over (parsed). */
  body: string | object;
}

const range = (n: number) => Array.from({ length: n }, (_, i) => i);
const skeleton = (extra: object) => ({ key: 'bench', name: 'Bench', stages: [{ key: 'open' }, { key: 'done', terminal: true }], ...extra });

/** Automations as long as fit in a template of `bytes`, each built by `make(i)`. */
function fill(bytes: number, make: (i: number) => object, field = 'automations', extra: object = {}): object {
  const items: object[] = [];
  for (let i = 0; JSON.stringify(skeleton({ ...extra, [field]: items })).length < bytes; i++) items.push(make(i));
  items.pop();
  return skeleton({ ...extra, [field]: items });
}

/** A condition at the static limits (≤ 200 nodes, 2 iterations deep) that runs for `n` × `n` items on any data. */
const squareCondition = (n: number) => ({ map: [range(n), { map: [range(n), { var: '' }] }] });

function scenarios(): Scenario[] {
  const onboarding = fs.readFileSync(path.join(__dirname, '..', 'examples', 'employee-onboarding.yaml'), 'utf8');
  const rule = (condition: object) => ({ on: 'comment.added', if: condition, do: [{ advance: { to: 'done' } }] });
  const text = (tags: number) => range(tags).map((i) => (i % 10 === 0 ? '{{#fields.list}}{{.}}{{/fields.list}}' : '{{case.title}} ')).join('');
  const aliases = linesUpTo(BODY_LIMIT, 'key: bench\nname: Bench\nstages: [{ key: open }, { key: done, terminal: true }]\nroles:\n', (i) => `- &a${i} r\n- *a${i}\n`);
  const bigList = `[${range(9_000).map((i) => `x${i}`).join(', ')}]`;
  let deepPayload: unknown = 1;
  for (let i = 0; i < 30_000; i++) deepPayload = { a: deepPayload };
  return [
    { name: 'example-yaml', what: 'examples/employee-onboarding.yaml', body: onboarding },
    {
      name: 'conditions-at-budget',
      what: `${formatKiB(BYTES.template)} of conditions each just under ${LOGIC.conditionSteps} steps on the publish-time sample`,
      body: fill(BYTES.template - 512, () => rule(squareCondition(50))),
    },
    {
      name: 'conditions-over-budget',
      what: `${formatKiB(BYTES.template)} of conditions each at the node limit and running past ${LOGIC.conditionSteps} steps (97 × 97 items)`,
      body: fill(BYTES.template - 512, () => rule(squareCondition(97))),
    },
    {
      name: 'explosive-condition',
      what: 'one `reduce` doubling a string 24 times (16 M characters without a budget)',
      body: skeleton({ automations: [rule({ reduce: [range(24), { cat: [{ var: 'accumulator' }, { var: 'accumulator' }] }, 'x'] })] }),
    },
    {
      name: 'texts-at-limits',
      what: `${formatKiB(BYTES.template)} of document templates with ${LOGIC.textTags} tags each`,
      body: fill(BYTES.template - 512, (i) => ({ key: `d${i}`, title: 'T {{case.title}}', slot: 'out', body: text(LOGIC.textTags - 1) }), 'documentTemplates', {
        documents: [{ key: 'out' }],
        fields: [{ key: 'list', type: 'multiselect', options: ['a'] }],
      }),
    },
    {
      name: 'yaml-1mb-fields',
      what: '1 MB of YAML fields (over the template budget once parsed)',
      body: linesUpTo(BODY_LIMIT, 'key: bench\nname: Bench\nstages: [{ key: open }, { key: done, terminal: true }]\nfields:\n', (i) => `  - { key: f${i}, type: text }\n`),
    },
    {
      name: 'yaml-1mb-comments',
      what: 'a small template padded with 1 MB of comments',
      body: `key: bench\nname: Bench\nstages: [{ key: open }, { key: done, terminal: true }]\n${'# padding padding padding padding padding padding padding\n'.repeat(17_000)}`,
    },
    {
      name: 'yaml-alias-fanout',
      what: 'a 9,000-item list anchored once and aliased 99 times (≈ 900,000 items once resolved)',
      body: `key: bench\nname: Bench\nstages: [{ key: open }, { key: done, terminal: true }]\nroles: &big ${bigList}\ndescription: [${range(99).map(() => '*big').join(', ')}]\n`,
    },
    { name: 'yaml-aliases', what: `anchor/alias pairs up to ${formatKiB(BODY_LIMIT)} (quadratic alias resolution)`, body: aliases },
    { name: 'yaml-deep-flow', what: '300,000 nested flow sequences', body: `key: bench\nname: Bench\nroles: ${'['.repeat(300_000)}${']'.repeat(300_000)}\n` },
    { name: 'json-deep-payload', what: 'a 30,000-deep webhook payload (JSON)', body: skeleton({ automations: [{ on: 'case.created', do: [{ webhook: { url: 'https://hooks.example.com/x', payload: deepPayload } }] }] }) },
    {
      name: 'json-1mb',
      what: '1 MB of JSON fields',
      body: skeleton({ fields: range(21_500).map((i) => ({ key: `f${i}`, type: 'text', label: 'A label' })) }),
    },
  ];
}

/** `head` and as many `line(i)` as fit in `bytes`. */
function linesUpTo(bytes: number, head: string, line: (i: number) => string): string {
  const parts = [head];
  let length = head.length;
  for (let i = 0; length + line(i).length <= bytes; i++) {
    parts.push(line(i));
    length += line(i).length;
  }
  return parts.join('');
}

/** Bytes of a body as sent; a JSON body too deep for JSON.stringify is measured by hand. */
function sizeOf(body: string | object): string {
  if (typeof body === 'string') return formatKiB(body.length);
  try {
    return formatKiB(JSON.stringify(body).length);
  } catch {
    return 'too deep to stringify';
  }
}

function formatKiB(bytes: number): string {
  return bytes >= MB ? `${bytes / MB} MB` : `${Math.round(bytes / 1024)} KiB`;
}

/** What the route did before it had a worker: parse and validate on the calling thread. */
function inline(body: string | object): string {
  let definition: unknown = body;
  if (typeof body === 'string') {
    try {
      definition = YAML.parse(body, { prettyErrors: true });
    } catch (err) {
      return `YAML error: ${(err as Error).message.slice(0, 60)}`;
    }
  }
  try {
    const result = validateTemplate(definition, options);
    return result.ok ? 'valid' : `${result.problems.length} problems: ${result.problems[0]!.message.slice(0, 70)}`;
  } catch (err) {
    return `threw ${(err as Error).name}: ${(err as Error).message.slice(0, 60)}`;
  }
}

/** The route's reader: resolves with the valid definition, rejects with the Problem to answer. */
type Reader = (body: unknown, options: { webhookAllowedHosts: readonly string[] }) => Promise<unknown>;

function describeRefusal(err: unknown): string {
  const problem = err as { detail?: string; extra?: { errors?: Array<{ message: string }> } };
  const first = problem.extra?.errors?.[0]?.message;
  return `${problem.detail ?? String(err)}${first ? `: ${first}` : ''}`.slice(0, 110);
}

/** The route's own reader, when this checkout has one (older checkouts validate inline only). */
async function routeReader(): Promise<Reader | undefined> {
  const routes = (await import('../api/routes/templates')) as unknown as { readAndValidate?: Reader };
  return routes.readAndValidate;
}

const ms = (t: number) => `${t.toFixed(1).padStart(8)} ms`;

async function main() {
  const reader = await routeReader();
  // Warm up (JIT, zod's lazily built schemas): the first publish of a process is not the worst case.
  for (let i = 0; i < 3; i++) inline(fs.readFileSync(path.join(__dirname, '..', 'examples', 'employee-onboarding.yaml'), 'utf8'));
  const delay = monitorEventLoopDelay({ resolution: 1 });
  // The machine's own noise: the longest stall of an event loop that does nothing for a second.
  delay.enable();
  await new Promise((resolve) => setTimeout(resolve, 1_000));
  delay.disable();
  console.log(`rounds: ${rounds}; inline = blocking time; worker = longest event-loop stall (and wall time)`);
  console.log(`noise floor: an idle event loop stalled up to ${(delay.max / 1e6).toFixed(1)} ms over 1 s on this machine\n`);
  let worstInline = 0;
  let worstStall = 0;
  let worstBusy = 0;
  for (const s of scenarios()) {
    if (values.only?.length && !values.only.includes(s.name)) continue;
    console.log(`${s.name} — ${s.what} (${sizeOf(s.body)})`);
    if (!values['skip-inline']?.includes(s.name)) {
      const times: number[] = [];
      let outcome = '';
      for (let r = 0; r < rounds; r++) {
        const t = performance.now();
        outcome = inline(s.body);
        times.push(performance.now() - t);
      }
      const worst = Math.max(...times);
      worstInline = Math.max(worstInline, worst);
      console.log(`  inline ${ms(worst)}   ${outcome}`);
    }
    if (reader) {
      // A worker's first start (loading zod and the validation code) is not part of a publish: warm it.
      await reader(skeleton({}), options).catch(() => undefined);
      let stall = 0;
      let busy = 0;
      let wall = 0;
      let outcome = '';
      for (let r = 0; r < rounds; r++) {
        delay.reset();
        delay.enable();
        const t = performance.now();
        const before = performance.eventLoopUtilization();
        outcome = await reader(s.body, options).then(() => 'valid', describeRefusal);
        // Time the main thread spent running code (not waiting) during the publish: an upper bound of its longest block.
        busy = Math.max(busy, performance.eventLoopUtilization(before).active);
        wall = Math.max(wall, performance.now() - t);
        delay.disable();
        stall = Math.max(stall, delay.max / 1e6);
      }
      worstStall = Math.max(worstStall, stall);
      worstBusy = Math.max(worstBusy, busy);
      console.log(`  worker ${ms(stall)}   (main thread busy ${busy.toFixed(1)} ms in all, wall ${wall.toFixed(0)} ms) ${outcome}`);
    }
  }
  console.log(`\nworst inline (blocking): ${worstInline.toFixed(1)} ms`);
  if (reader) console.log(`through the route's worker: worst event-loop stall ${worstStall.toFixed(1)} ms, worst main-thread busy time per publish ${worstBusy.toFixed(1)} ms`);
  process.exit(0);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
