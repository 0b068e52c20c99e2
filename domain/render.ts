import Mustache from 'mustache';
import { LOGIC } from './limits';
import { formatCount, RenderBudgetExceeded } from './logic-budget';

/**
 * Tags one rendering may visit (each tag of a section, and the section itself, once per item it
 * repeats for). Bounds the
 * work of sections that repeat without producing much, e.g. four nested sections over a
 * 200-item list: 1.6 billion visits and no output. A local figure: LOGIC has no constant for it.
 */
export const RENDER_TAG_VISITS = 100_000;

const MISSING = Symbol('missing');
const hasOwn = (value: unknown, key: string) => Object.prototype.hasOwnProperty.call(value, key);

/** `name` or `a.b.c` in one view, through its own properties only; MISSING when it is not there. */
function resolve(view: unknown, name: string): unknown {
  if (name === '.') return view;
  const names = name.split('.');
  // Like mustache: a plain name only looks into objects, a dotted one also into strings (`title.length`).
  if (names.length === 1 && (typeof view !== 'object' || view === null)) return MISSING;
  let value = view;
  for (const key of names) {
    if (value === null || value === undefined || (typeof value !== 'object' && typeof value !== 'string') || !hasOwn(value, key)) return MISSING;
    value = (value as Record<string, unknown>)[key];
  }
  return value;
}

/**
 * Mustache's context, minus two things a template author could reach through the JavaScript
 * prototype: inherited members (`{{case.constructor}}`) and functions, which mustache calls as
 * "lambdas" — `{{#case.title.repeat}}99999999{{/case.title.repeat}}` would build a gigabyte
 * string inside one call, before any budget could look. Render contexts are plain data.
 */
class DataContext extends Mustache.Context {
  override push(view: unknown): Mustache.Context {
    return new DataContext(view, this);
  }

  override lookup(name: string): unknown {
    const value = resolve(this.view, name);
    if (value !== MISSING) return typeof value === 'function' ? undefined : value;
    return this.parent?.lookup(name);
  }
}

/**
 * A writer that counts what it produces while it produces it: each piece of output is counted
 * before the sections above it join it into their text, so a section over a large list stops at
 * the budget instead of after building the whole string. One writer per rendering, without a
 * template cache (the shared one would keep every text ever rendered).
 */
class BudgetedWriter extends Mustache.Writer {
  private produced = 0;
  private visits = 0;

  constructor(
    private readonly maxLength: number,
    private readonly maxVisits: number,
  ) {
    super();
    (this as { templateCache?: unknown }).templateCache = undefined;
  }

  override renderTokens(tokens: string[][], context: Mustache.Context, partials?: Mustache.PartialsOrLookupFn, originalTemplate?: string, config?: Mustache.RenderOptions): string {
    // Each repetition of a section counts, even an empty one: `{{#list}}{{/list}}` costs its length.
    this.visits += tokens.length + 1;
    if (this.visits > this.maxVisits) throw new RenderBudgetExceeded(`text exceeded its budget of ${formatCount(this.maxVisits)} tag visits`);
    return super.renderTokens(tokens, context, partials, originalTemplate, config);
  }

  override escapedValue(token: string[], context: Mustache.Context, config?: Mustache.RenderOptions): string {
    return this.count(super.escapedValue(token, context, config));
  }

  override unescapedValue(token: string[], context: Mustache.Context): string {
    return this.count(super.unescapedValue(token, context));
  }

  override rawValue(token: string[]): string {
    return this.count(super.rawValue(token));
  }

  /** Partials would be texts nobody validated; templates have none. */
  override renderPartial(): string {
    return '';
  }

  private count(value: unknown): string {
    // Mustache skips null and undefined; everything else becomes text when it is joined.
    if (value === null || value === undefined) return '';
    const text = String(value);
    this.produced += text.length;
    if (this.produced > this.maxLength) throw new RenderBudgetExceeded(`text exceeded its budget of ${formatCount(this.maxLength)} characters`);
    return text;
  }
}

export interface RenderOptions {
  /** Characters the rendering may produce; LOGIC.renderedLength unless given. */
  maxLength?: number;
  /** No budgets: for cases started before they existed, which must replay as they ran. */
  unbounded?: boolean;
}

/**
 * Logic-less templates for e-mail, notifications, tasks and generated documents. HTML output
 * escapes every value; text output (subjects, PDFs) does not, since nothing interprets it.
 * Throws `RenderBudgetExceeded` past LOGIC.renderedLength characters or RENDER_TAG_VISITS tags.
 */
export function renderTemplate(source: string, context: object, mode: 'html' | 'text', options: RenderOptions = {}): string {
  const writer = new BudgetedWriter(options.unbounded ? Infinity : (options.maxLength ?? LOGIC.renderedLength), options.unbounded ? Infinity : RENDER_TAG_VISITS);
  const escape = mode === 'html' ? Mustache.escape : (v: unknown) => String(v);
  return writer.render(source, new DataContext(context), undefined, { escape });
}

/** What a text is made of, for the publish-time checks. */
export interface TextShape {
  /** Tags of every kind (values, sections, comments…). */
  tags: number;
  /** Deepest nesting of sections (`{{#…}}`, `{{^…}}`). */
  sectionDepth: number;
  /** The names it refers to (`case.title`, `fields.fullName`, `.` …), each once. */
  names: string[];
}

/** Parses without caching: the default writer's cache would keep every text ever published. */
function parseText(source: string): Mustache.TemplateSpans {
  const writer = new Mustache.Writer();
  (writer as { templateCache?: unknown }).templateCache = undefined;
  return writer.parse(source) as Mustache.TemplateSpans;
}

/**
 * Measures a text in document order, without recursion (a 100 KB body can nest sections
 * thousands deep). Throws when it does not compile.
 */
export function textShape(source: string): TextShape {
  const names = new Set<string>();
  let tags = 0;
  let sectionDepth = 0;
  const stack: Array<{ tokens: Mustache.TemplateSpans; next: number; depth: number }> = [{ tokens: parseText(source), next: 0, depth: 0 }];
  while (stack.length) {
    const frame = stack[stack.length - 1]!;
    const token = frame.tokens[frame.next++];
    if (!token) {
      stack.pop();
      continue;
    }
    const [type, value] = token;
    if (type === 'text') continue;
    tags++;
    if (type === 'name' || type === '&' || type === '#' || type === '^') names.add(String(value));
    if (Array.isArray(token[4])) {
      sectionDepth = Math.max(sectionDepth, frame.depth + 1);
      stack.push({ tokens: token[4], next: 0, depth: frame.depth + 1 });
    }
  }
  return { tags, sectionDepth, names: [...names] };
}

/** Why a template does not compile (unclosed section, bad tag), or undefined when it does. */
export function templateSyntaxProblem(source: string): string | undefined {
  try {
    parseText(source);
    return undefined;
  } catch (err) {
    return err instanceof Error ? err.message : String(err);
  }
}

/** The names a template refers to (`case.title`, `fields.x`, `portal.link` …), for reference checks. */
export function templateNames(source: string): string[] {
  return textShape(source).names;
}
