import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { AddressInfo } from 'node:net';

/**
 * A local stand-in for Resend's `POST /emails`, reached through the real `resend` SDK
 * (`RESEND_BASE_URL`). It behaves like Resend where the tests depend on it:
 *
 * - `Authorization: Bearer <key>`: missing → 401 `missing_api_key`, wrong → 403 `invalid_api_key`.
 * - Body `{from, to, subject, html|text}`; a missing field → 422 `missing_required_field`.
 * - Success → 200 `{"id": "<uuid>"}`; the message lands in `mailbox`.
 * - `Idempotency-Key`: a key seen before with the same body gets the first answer again and no
 *   second message; with another body → 409 `invalid_idempotent_request`.
 * - Error bodies are `{statusCode, name, message}`, as the SDK hands them to the caller.
 *
 * `failNext()` queues faults for the next requests: accept the message and then answer 500 or
 * drop the connection (the answer is lost, the message is not), or refuse with a status.
 */
export interface FakeMessage {
  id: string;
  from: string;
  to: string[];
  subject: string;
  html?: string;
  text?: string;
  idempotencyKey: string | null;
}

export interface RecordedRequest {
  method: string;
  path: string;
  idempotencyKey: string | null;
  body: unknown;
  answered: number | 'dropped';
}

export type Fault =
  | { kind: 'accept-then-500' }
  | { kind: 'accept-then-drop' }
  | { kind: 'refuse'; status: number; name: string; message?: string; retryAfter?: string };

export interface FakeResend {
  /** Base URL for `RESEND_BASE_URL`. */
  url: string;
  apiKey: string;
  mailbox: FakeMessage[];
  requests: RecordedRequest[];
  /** Faults for the next requests to `POST /emails`, one per request, in order. */
  failNext(...faults: Fault[]): void;
  reset(): void;
  close(): Promise<void>;
}

interface StoredAnswer {
  bodyText: string;
  status: number;
  answer: unknown;
}

export async function startFakeResend(apiKey = 're_test_fake'): Promise<FakeResend> {
  const mailbox: FakeMessage[] = [];
  const requests: RecordedRequest[] = [];
  const faults: Fault[] = [];
  const answers = new Map<string, StoredAnswer>();

  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const bodyText = Buffer.concat(chunks).toString('utf8');
      const key = req.headers['idempotency-key'];
      const idempotencyKey = typeof key === 'string' ? key : null;
      let body: unknown;
      try {
        body = bodyText ? JSON.parse(bodyText) : undefined;
      } catch {
        body = bodyText;
      }
      const record: RecordedRequest = { method: req.method ?? '', path: req.url ?? '', idempotencyKey, body, answered: 0 };
      requests.push(record);
      const reply = (status: number, answer: unknown, headers: Record<string, string> = {}) => {
        record.answered = status;
        res.writeHead(status, { 'Content-Type': 'application/json', ...headers });
        res.end(JSON.stringify(answer));
      };
      const error = (status: number, name: string, message: string, headers?: Record<string, string>) =>
        reply(status, { statusCode: status, name, message }, headers);

      if (req.method !== 'POST' || req.url !== '/emails') return error(404, 'not_found', 'The requested endpoint does not exist.');
      const auth = req.headers.authorization;
      if (!auth) return error(401, 'missing_api_key', 'Missing API key in the authorization header.');
      if (auth !== `Bearer ${apiKey}`) return error(403, 'invalid_api_key', 'API key is invalid');

      if (idempotencyKey) {
        const seen = answers.get(idempotencyKey);
        if (seen && seen.bodyText !== bodyText) {
          return error(409, 'invalid_idempotent_request', 'Same idempotency key used with a different request payload.');
        }
        if (seen) return reply(seen.status, seen.answer);
      }

      const fault = faults.shift();
      if (fault?.kind === 'refuse') {
        return error(fault.status, fault.name, fault.message ?? fault.name, fault.retryAfter ? { 'Retry-After': fault.retryAfter } : {});
      }

      const email = (typeof body === 'object' && body !== null ? body : {}) as Record<string, unknown>;
      for (const field of ['from', 'to', 'subject'] as const) {
        if (!email[field]) return error(422, 'missing_required_field', `Missing \`${field}\` field.`);
      }
      if (!email.html && !email.text) return error(422, 'missing_required_field', 'Missing `html` or `text` field.');

      const message: FakeMessage = {
        id: randomUUID(),
        from: String(email.from),
        to: Array.isArray(email.to) ? email.to.map(String) : [String(email.to)],
        subject: String(email.subject),
        ...(typeof email.html === 'string' ? { html: email.html } : {}),
        ...(typeof email.text === 'string' ? { text: email.text } : {}),
        idempotencyKey,
      };
      mailbox.push(message);
      const answer = { id: message.id };
      if (idempotencyKey) answers.set(idempotencyKey, { bodyText, status: 200, answer });

      if (fault?.kind === 'accept-then-500') {
        return error(500, 'internal_server_error', 'An unexpected error occurred.');
      }
      if (fault?.kind === 'accept-then-drop') {
        record.answered = 'dropped';
        req.socket.destroy();
        return;
      }
      reply(200, answer);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;

  return {
    url: `http://127.0.0.1:${port}`,
    apiKey,
    mailbox,
    requests,
    failNext: (...f) => void faults.push(...f),
    reset() {
      mailbox.length = 0;
      requests.length = 0;
      faults.length = 0;
      answers.clear();
    },
    close: () =>
      new Promise<void>((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}
