/**
 * Where a problem the API reports (`stages[0].exit.fields[3]`) sits in the text the author sent,
 * so the publish form can point at the line. JSON is YAML too (YAML 1.2 is a superset), so one
 * parser with source ranges answers for both formats; it runs only in the browser, on the author's
 * own text, and decides nothing: the API's answer is the verdict, this only finds its place.
 */
import { isMap, isScalar, isSeq, LineCounter, parseDocument, stringify } from 'yaml';

export type SourceFormat = 'yaml' | 'json';

/** A place in the text: 1-based line and column, and the character range of that line. */
export interface SourceSpot {
  line: number;
  column: number;
  /** True when the path's own key or item was found; false when only its nearest ancestor was (a missing key). */
  exact: boolean;
  lineStart: number;
  lineEnd: number;
  /** The line's text, to quote next to the problem. */
  text: string;
}

/** `stages[0].exit.fields[3]` → ['stages', 0, 'exit', 'fields', 3]; '' (the whole template) → []. */
export function pathSegments(path: string): Array<string | number> {
  const segments: Array<string | number> = [];
  for (const match of path.matchAll(/\[(\d+)\]|([^.[\]]+)/g)) {
    if (match[1] !== undefined) segments.push(Number(match[1]));
    else if (match[2] !== undefined) segments.push(match[2]);
  }
  return segments;
}

function spotAt(text: string, offset: number, exact: boolean, counter: LineCounter): SourceSpot {
  const { line, col } = counter.linePos(Math.max(0, Math.min(offset, text.length)));
  const lineStart = text.lastIndexOf('\n', Math.max(0, offset - 1)) + 1;
  const nextBreak = text.indexOf('\n', lineStart);
  const lineEnd = nextBreak === -1 ? text.length : nextBreak;
  return { line, column: col, exact, lineStart, lineEnd, text: text.slice(lineStart, lineEnd) };
}

/** The line of `line` (1-based) in `text`, e.g. from a YAML parse error's "at line 3, column 5". */
export function spotOfLine(text: string, line: number, column = 1): SourceSpot | undefined {
  const lines = text.split('\n');
  if (line < 1 || line > lines.length) return undefined;
  const lineStart = lines.slice(0, line - 1).reduce((n, l) => n + l.length + 1, 0);
  const lineText = lines[line - 1] ?? '';
  return { line, column, exact: true, lineStart, lineEnd: lineStart + lineText.length, text: lineText };
}

/**
 * The spot `path` refers to in `text`: the key of a mapping entry (where `name:` is written) or the
 * item of a list; for a key that is missing, its parent (`exact: false`). Undefined when the text
 * has no structure to follow (it does not parse at all, or the path is the whole body).
 */
export function locatePath(text: string, path: string): SourceSpot | undefined {
  // A parse problem names its own place in its message; see `spotOfMessage`.
  if (path === 'body') return undefined;
  const counter = new LineCounter();
  let doc;
  try {
    doc = parseDocument(text, { lineCounter: counter, keepSourceTokens: false, uniqueKeys: false, prettyErrors: false });
  } catch {
    return undefined;
  }
  let node: unknown = doc.contents;
  if (!node || !(isMap(node) || isSeq(node))) return undefined;
  let offset = (node as { range?: [number, number, number] }).range?.[0] ?? 0;
  let exact = true;
  for (const segment of pathSegments(path)) {
    if (isMap(node)) {
      const pair = node.items.find((p) => (isScalar(p.key) ? String(p.key.value) : String(p.key)) === String(segment));
      if (!pair) {
        exact = false;
        break;
      }
      const keyRange = isScalar(pair.key) ? pair.key.range : undefined;
      if (keyRange) offset = keyRange[0];
      node = pair.value;
    } else if (isSeq(node) && typeof segment === 'number') {
      const item = node.items[segment] as { range?: [number, number, number] } | undefined;
      if (!item) {
        exact = false;
        break;
      }
      if (item.range) offset = item.range[0];
      node = item;
    } else {
      exact = false;
      break;
    }
  }
  return spotAt(text, offset, exact, counter);
}

/**
 * The place a parse error names in its message: "at line 12, column 3" (the API's YAML parser),
 * "(line 3 column 5)" or "at position 45" (JSON.parse, behind a 400 malformed_json), or V8's
 * `Unexpected token 'o', ..."name": oops"... is not valid JSON`, found by its quoted context.
 */
export function spotOfMessage(text: string, message: string): SourceSpot | undefined {
  const lineColumn = /line (\d+),? column (\d+)/.exec(message);
  if (lineColumn) return spotOfLine(text, Number(lineColumn[1]), Number(lineColumn[2]));
  let offset: number | undefined;
  const position = /position (\d+)/.exec(message);
  if (position) offset = Math.min(Number(position[1]), text.length);
  const quoted = /(?:'(.)', )?(?:\.\.\.)?"([\s\S]+?)"(?:\.\.\.)? is not valid JSON/.exec(message);
  if (offset === undefined && quoted?.[2]) {
    const at = text.indexOf(quoted[2]);
    // Only a context that occurs once says where.
    if (at !== -1 && text.indexOf(quoted[2], at + 1) === -1) offset = at + Math.max(0, quoted[1] ? quoted[2].indexOf(quoted[1]) : 0);
  }
  if (offset === undefined) return undefined;
  const before = text.slice(0, offset);
  return spotOfLine(text, before.split('\n').length, offset - before.lastIndexOf('\n'));
}

/** A definition as text in `format`: what the publish form starts from for a new version. */
export function definitionText(definition: unknown, format: SourceFormat): string {
  return format === 'json' ? `${JSON.stringify(definition, null, 2)}\n` : stringify(definition, { lineWidth: 0 });
}

/**
 * The same definition in the other format, when `text` parses as `from`; undefined when it does
 * not (the form then keeps the text as written rather than lose the author's work).
 */
export function convertText(text: string, from: SourceFormat, to: SourceFormat): string | undefined {
  if (from === to || !text.trim()) return text;
  try {
    if (from === 'json') return definitionText(JSON.parse(text), to);
    const doc = parseDocument(text);
    if (doc.errors.length > 0) return undefined;
    return definitionText(doc.toJS(), to);
  } catch {
    return undefined;
  }
}
