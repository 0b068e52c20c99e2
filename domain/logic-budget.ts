import * as jsonLogicModule from 'json-logic-js';
import { LOGIC } from './limits';

/**
 * Run-time budgets of template logic. Admins write JSONLogic conditions and mustache texts that
 * cases evaluate on their real data, often inside the case's workflow: there a condition that
 * runs for seconds fails the workflow task, and every later command on the case with it. Time
 * cannot be measured there (a replay must reach the same verdict), so work is counted instead:
 * the same condition on the same data always stops at the same step.
 */

/** Template logic went over one of its run-time budgets. The rule fails; the case carries on. */
export class BudgetExceeded extends Error {
  override name = 'BudgetExceeded';
}

/** A JSONLogic condition took too many steps or built too long a value. */
export class LogicBudgetExceeded extends BudgetExceeded {
  override name = 'LogicBudgetExceeded';
}

/** A mustache text produced too many characters or did too much work producing them. */
export class RenderBudgetExceeded extends BudgetExceeded {
  override name = 'RenderBudgetExceeded';
}

/** `10,000`: how budgets read in messages (no Intl: it is not the same everywhere this runs). */
export function formatCount(n: number): string {
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/**
 * One step buys this many characters or list items handled: an operation's result (and so what
 * the next operation reads) costs one step per 64 units of its size. Without it, 10,000 `cat`s or
 * `==`s over 64 K-character values would be 640 M characters of work for "10,000 steps".
 */
const UNITS_PER_STEP = 64;

// Read once: through a bundler's import bindings, every `LOGIC.x` on the hot path is a getter call.
const MAX_STEPS = LOGIC.conditionSteps;
const MAX_VALUE_LENGTH = LOGIC.conditionValueLength;

interface Meter {
  steps: number;
  /** Deep sizes of the lists of lists seen in this evaluation. */
  sizes: Map<readonly unknown[], number>;
}

type Apply = typeof jsonLogicModule.apply;

/**
 * The library's own object (the one its recursion calls `apply` on), whatever the bundler's
 * interop made of `import *`: TypeScript, swc, esbuild and webpack all hang it on `default`.
 */
const jsonLogic = ((jsonLogicModule as unknown as { default?: typeof jsonLogicModule }).default ?? jsonLogicModule) as { apply: Apply };

/** The evaluation in progress. Evaluations are synchronous, so one at a time per module instance. */
let meter: Meter | undefined;

const unmetered: Apply = jsonLogic.apply;

// `log` would print to the console (the worker's log, from inside a case) up to once per step.
(jsonLogic as unknown as { add_operation(name: string, fn: (value: unknown) => unknown): void }).add_operation('log', (value) => value);

/**
 * json-logic-js evaluates every sub-expression (operation, argument, list element, each item of
 * `map`/`filter`/`reduce`/`all`/`some`/`none`) through `jsonLogic.apply`: wrapping it counts every
 * step of an evaluation and sees every value an operation builds, before the next one reads it.
 * Outside `evaluateLogic` the wrapper only passes through.
 */
jsonLogic.apply = function metered(logic, data) {
  const m = meter;
  if (!m) return unmetered(logic, data);
  spend(m, 1);
  const result: unknown = unmetered(logic, data);
  spend(m, Math.floor(weigh(m, result) / UNITS_PER_STEP));
  return result;
};

function spend(m: Meter, steps: number): void {
  m.steps += steps;
  if (m.steps > MAX_STEPS) throw new LogicBudgetExceeded(`condition exceeded its budget of ${formatCount(MAX_STEPS)} steps`);
}

/** The size of a value an operation returned; refuses one longer than a condition may build. */
function weigh(m: Meter, value: unknown): number {
  if (typeof value !== 'string' && !Array.isArray(value)) return 0;
  if (value.length > MAX_VALUE_LENGTH) {
    const what = typeof value === 'string' ? `a string of ${formatCount(value.length)} characters` : `a list of ${formatCount(value.length)} items`;
    throw new LogicBudgetExceeded(`condition built ${what}; at most ${formatCount(MAX_VALUE_LENGTH)}`);
  }
  return deepSize(m, value);
}

/**
 * Characters and items a value holds, nested lists included: what comparing, joining or
 * converting it costs (`[[…],[…]] == "x"` turns every nested list into text). A list reached
 * twice (the same list in `map` results) counts twice, as it would be converted twice; lists
 * that hold lists are remembered, so sharing cannot make the measuring itself expensive.
 */
function deepSize(m: Meter, value: string | readonly unknown[]): number {
  if (typeof value === 'string') return value.length;
  const known = m.sizes.get(value);
  if (known !== undefined) return known;
  let size = value.length;
  let nested = false;
  for (const item of value) {
    if (typeof item === 'string') size += item.length;
    else if (Array.isArray(item)) {
      size += deepSize(m, item);
      nested = true;
    }
  }
  if (nested) m.sizes.set(value, size);
  return size;
}

/**
 * Evaluates a JSONLogic rule within LOGIC.conditionSteps steps, building no string or list
 * longer than LOGIC.conditionValueLength; throws `LogicBudgetExceeded` beyond either.
 * Unknown operators throw the library's error.
 */
export function evaluateLogic(logic: unknown, data: object, options: { unbounded?: boolean } = {}): unknown {
  // Cases started before the budgets existed replay their history without them (see the workflow).
  if (options.unbounded) return unmetered(logic as Parameters<Apply>[0], data);
  const outer = meter;
  meter = { steps: 0, sizes: new Map() };
  try {
    return jsonLogic.apply(logic as Parameters<Apply>[0], data);
  } finally {
    meter = outer;
  }
}
