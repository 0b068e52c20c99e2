/**
 * The console's only way to the server: the public /v1 API with the signed-in bearer token.
 * Problems (RFC 9457) become ApiProblem with the API's code, detail, field errors and missing
 * exit criteria, so pages can show each next to what it is about.
 */
import { currentToken, signOut } from './session';

export interface ProblemError {
  path: string;
  message: string;
}

export interface ProblemBody {
  type?: string;
  title?: string;
  status: number;
  code?: string;
  detail?: string;
  errors?: ProblemError[];
  missing?: { fields: string[]; documents: string[]; tasks: string[] };
  [key: string]: unknown;
}

export class ApiProblem extends Error {
  constructor(readonly problem: ProblemBody) {
    super(problem.detail ?? problem.title ?? `HTTP ${problem.status}`);
  }
  get status(): number {
    return this.problem.status;
  }
  get code(): string | undefined {
    return this.problem.code;
  }
  /** The message the API gave for one input (by its path: `fields.salary`, `title`…), if any. */
  errorFor(path: string): string | undefined {
    return this.problem.errors?.find((e) => e.path === path || e.path.endsWith(`.${path}`))?.message;
  }
}

/** Listeners told when the API says the credential is no longer good (401): the app shows sign-in. */
const unauthorizedListeners = new Set<() => void>();
export function onUnauthorized(listener: () => void): () => void {
  unauthorizedListeners.add(listener);
  return () => unauthorizedListeners.delete(listener);
}

export interface RequestOptions {
  body?: unknown;
  /** Raw body (a FormData upload, YAML text); sent as is. */
  raw?: BodyInit;
  contentType?: string;
  headers?: Record<string, string>;
  signal?: AbortSignal;
}

async function send(method: string, url: string, opts: RequestOptions = {}): Promise<Response> {
  const token = currentToken();
  const headers: Record<string, string> = { Accept: 'application/json', ...opts.headers };
  if (token) headers.Authorization = `Bearer ${token}`;
  let body: BodyInit | undefined = opts.raw;
  if (opts.body !== undefined) {
    body = JSON.stringify(opts.body);
    headers['Content-Type'] = 'application/json';
  } else if (opts.contentType) {
    headers['Content-Type'] = opts.contentType;
  }
  let res: Response;
  try {
    res = await fetch(url, { method, headers, body: body ?? null, signal: opts.signal ?? null, credentials: 'omit', cache: 'no-store' });
  } catch (err) {
    if ((err as Error).name === 'AbortError') throw err;
    throw new ApiProblem({ status: 0, code: 'network_error', detail: 'The API could not be reached. Check your connection and try again.' });
  }
  if (res.ok) return res;
  let problem: ProblemBody;
  try {
    problem = (await res.json()) as ProblemBody;
  } catch {
    problem = { status: res.status, detail: res.statusText || `HTTP ${res.status}` };
  }
  problem.status = res.status;
  if (res.status === 401) {
    signOut();
    for (const listener of unauthorizedListeners) listener();
  }
  if (res.status === 429 || res.status === 503) {
    const after = res.headers.get('Retry-After');
    if (after) problem.detail = `${problem.detail ?? 'Busy'} (try again in ${after} s)`;
  }
  throw new ApiProblem(problem);
}

async function json<T>(method: string, url: string, opts?: RequestOptions): Promise<T> {
  const res = await send(method, url, opts);
  if (res.status === 204) return undefined as T;
  return (await res.json()) as T;
}

/** `{a: 1, b: undefined, c: ['x','y']}` → `?a=1&c=x&c=y` (undefined and '' are left out). */
export function queryString(params: Record<string, string | number | boolean | string[] | undefined | null>): string {
  const search = new URLSearchParams();
  for (const [name, value] of Object.entries(params)) {
    if (value === undefined || value === null || value === '') continue;
    if (Array.isArray(value)) value.forEach((v) => search.append(name, v));
    else search.set(name, String(value));
  }
  const text = search.toString();
  return text ? `?${text}` : '';
}

/** A path segment, encoded (case keys, task ids, slots…). */
export const seg = (value: string) => encodeURIComponent(value);

export const api = {
  get: <T>(url: string, opts?: RequestOptions) => json<T>('GET', url, opts),
  post: <T>(url: string, body?: unknown, opts?: RequestOptions) => json<T>('POST', url, { ...opts, ...(body !== undefined ? { body } : {}) }),
  put: <T>(url: string, body?: unknown, opts?: RequestOptions) => json<T>('PUT', url, { ...opts, ...(body !== undefined ? { body } : {}) }),
  patch: <T>(url: string, body?: unknown, opts?: RequestOptions) => json<T>('PATCH', url, { ...opts, ...(body !== undefined ? { body } : {}) }),
  delete: <T>(url: string, opts?: RequestOptions) => json<T>('DELETE', url, opts),
  /** The raw response (downloads: the caller reads it as a blob). */
  raw: (method: string, url: string, opts?: RequestOptions) => send(method, url, opts),
};

/** A fresh Idempotency-Key for one user action: a retry of the same action reuses it. */
export function idempotencyKey(): string {
  return crypto.randomUUID();
}
