import type { RequestHandler } from 'express';
import { LOGIC } from '../domain/limits';
import { Problem } from './errors';

/**
 * Checks every request passes before a route sees it: what the API cannot store or safely
 * process is refused at the door with a precise 4xx, instead of failing later in PostgreSQL (which
 * cannot store NUL in text), in a workflow's payload, or on a stack overflow.
 *
 * The checks look at parsed values (the decoded path, the parsed query, JSON or YAML, form and
 * multipart fields), not at bytes: every encoding of a NUL (`%00`, `\u0000`, YAML's `"\0"`) is
 * caught, and a literal `\\u0000` (an escaped backslash) is not mistaken for one.
 */

/** Something a parsed value carries that the API refuses: a NUL character, or nesting beyond a limit. */
export interface InputFlaw {
  kind: 'nul' | 'depth';
  /** Where, in zod's notation (`fields.name`, `participants.0.email`); '' for the value itself. */
  path: string;
}

interface Visit {
  value: unknown;
  /** Containers around this value. */
  depth: number;
  parent?: Visit;
  key?: string;
}

/** Keys longer than this are cut in a reported path: the path is echoed in the refusal. */
const PATH_KEY_MAX = 100;

function pathOf(visit: Visit): string {
  const keys: string[] = [];
  for (let v: Visit | undefined = visit; v?.key !== undefined; v = v.parent) {
    keys.push(v.key.length > PATH_KEY_MAX ? `${v.key.slice(0, PATH_KEY_MAX - 1)}…` : v.key);
  }
  return keys.reverse().join('.').replace(/\u0000/g, '\\u0000');
}

/**
 * The first flaw of a parsed value: a string or key holding NUL, or containers nested deeper
 * than `maxDepth` (the outermost container is level 1). Iterative, so no nesting overflows the
 * stack; it never descends below `maxDepth`, so cyclic or deeply shared values end too.
 */
export function findFlaw(value: unknown, maxDepth = Number.POSITIVE_INFINITY): InputFlaw | undefined {
  const pending: Visit[] = [{ value, depth: 0 }];
  for (let visit = pending.pop(); visit; visit = pending.pop()) {
    const current = visit.value;
    if (typeof current === 'string') {
      if (current.includes('\u0000')) return { kind: 'nul', path: pathOf(visit) };
      continue;
    }
    if (typeof current !== 'object' || current === null) continue;
    const depth = visit.depth + 1;
    if (depth > maxDepth) return { kind: 'depth', path: pathOf(visit) };
    for (const key of Object.keys(current)) {
      const child: Visit = { value: (current as Record<string, unknown>)[key], depth, parent: visit, key };
      if (key.includes('\u0000')) return { kind: 'nul', path: pathOf(child) };
      pending.push(child);
    }
  }
  return undefined;
}

/** The refusal of a flaw found in a request's body or query: 422 either way. */
export function flawProblem(flaw: InputFlaw, where: 'body' | 'query'): Problem {
  const path = flaw.path || where;
  if (flaw.kind === 'nul') {
    const message = 'contains a NUL character (\\u0000), which cannot be stored';
    return new Problem('validation_failed', `The request ${where} is invalid: ${path} ${message}`, { errors: [{ path, message }] });
  }
  const message = `is nested deeper than ${LOGIC.bodyDepth} levels`;
  return new Problem('nesting_too_deep', `The request ${where} is nested deeper than ${LOGIC.bodyDepth} levels (at ${path})`, {
    errors: [{ path, message }],
    limit: LOGIC.bodyDepth,
  });
}

/** Throws the refusal when a parsed body (JSON, YAML, multipart fields) has a NUL or is nested too deep. */
export function assertStorable(value: unknown): void {
  const flaw = findFlaw(value, LOGIC.bodyDepth);
  if (flaw) throw flawProblem(flaw, 'body');
}

/**
 * Refuses a URL whose path does not percent-decode (the router would throw while decoding a
 * parameter) or decodes to a NUL, and a query holding NUL — before routing, so unknown routes and
 * every parameter are covered alike. 400 malformed_uri for the path, 422 for a query value.
 */
export const refuseMalformedUrl: RequestHandler = (req, _res, next) => {
  let path: string;
  try {
    path = decodeURIComponent(req.path);
  } catch {
    return next(new Problem('malformed_uri', 'The URL path has malformed percent-encoding'));
  }
  if (path.includes('\u0000')) return next(new Problem('malformed_uri', 'The URL path contains a NUL character (%00)'));
  // Query strings are parsed with bounded depth (qs): only NUL needs looking for.
  const flaw = findFlaw(req.query);
  next(flaw ? flawProblem(flaw, 'query') : undefined);
};

/** Refuses a parsed body with a NUL anywhere, or nested deeper than LOGIC.bodyDepth, before zod or a workflow sees it. */
export const refuseFlawedBody: RequestHandler = (req, _res, next) => {
  const flaw = req.body === undefined ? undefined : findFlaw(req.body, LOGIC.bodyDepth);
  next(flaw ? flawProblem(flaw, 'body') : undefined);
};
