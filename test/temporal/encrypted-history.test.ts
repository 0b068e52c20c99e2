/**
 * What anyone with access to Temporal (its database, Web UI or CLI) reads of a case: its history
 * as the server stores it, fetched by a client without the codec. No field value, name, e-mail,
 * comment or title may be there in clear; through the codec endpoint every one of them is.
 */
import fs from 'node:fs';
import path from 'node:path';
import { Client } from '@temporalio/client';
import { temporal } from '@temporalio/proto';
import { caseWorkflowId } from '../../workflows/messages';
import { eventually, startTestStack, type TestStack } from '../support/stack';
import { onboardingTemplate } from '../support/templates';

let stack: TestStack;
const auth = (token: string) => ({ Authorization: `Bearer ${token}` });

/** Values that exist nowhere but in this case: each must be absent from the raw history. */
const SECRETS = {
  title: 'Onboarding of Zebulon Quaxley',
  fullName: 'Zebulon Quaxley',
  email: 'zebulon.quaxley@example.org',
  salary: '987654',
  participant: 'Philippa Gristlewood',
  participantEmail: 'philippa.gristlewood@example.org',
  comment: 'Offer letter mentions the quokka clause',
  actor: 'Hana HR',
};

type JsonPayload = { metadata?: Record<string, string>; data?: string };

/**
 * Every payload of a history as protobuf JSON (what the Temporal UI sends to the codec server),
 * search attributes aside: Temporal indexes those, so no codec may touch them (README "Limits");
 * and patch markers aside: the SDK's core writes them itself, in clear, and they hold only the
 * patch id (`{"id":"case-run","deprecated":false}`).
 */
/**
 * Every payload of a history, outside search attributes and headers (neither goes through a
 * payload codec: Temporal reads the one, the workflow's interceptors the other); `headers` gets
 * the header payloads.
 */
function payloadsOf(history: temporal.api.history.v1.IHistory, headers: JsonPayload[] = []): JsonPayload[] {
  const json = temporal.api.history.v1.History.toObject(temporal.api.history.v1.History.create(history), { bytes: String, longs: String, enums: String });
  const found: JsonPayload[] = [];
  const walk = (node: unknown): void => {
    if (Array.isArray(node)) node.forEach(walk);
    else if (node && typeof node === 'object') {
      const o = node as Record<string, unknown>;
      if (o.markerName === 'core_patch') return;
      if (o.metadata && typeof o.metadata === 'object' && ('data' in o || Object.keys(o).every((k) => k === 'metadata' || k === 'data'))) found.push(o as JsonPayload);
      else
        for (const [k, v] of Object.entries(o)) {
          if (k === 'header') headers.push(...Object.values(((v as { fields?: Record<string, JsonPayload> }) ?? {}).fields ?? {}));
          else if (k !== 'searchAttributes') walk(v);
        }
    }
  };
  walk(json);
  return found;
}

beforeAll(async () => {
  stack = await startTestStack();
  expect((await stack.http().post('/v1/templates').set(auth(stack.tokens.admin)).send(onboardingTemplate({ key: 'sealed-onboarding', prefix: 'SEA' }))).status).toBe(201);
});
afterAll(() => stack?.close());

test('the raw history holds no plaintext of the case; decoded through /codec/decode it holds all of it', async () => {
  const started = await stack
    .http()
    .post('/v1/cases')
    .set(auth(stack.tokens.hr))
    .send({
      template: 'sealed-onboarding',
      title: SECRETS.title,
      fields: { fullName: SECRETS.fullName, email: SECRETS.email, salary: Number(SECRETS.salary) },
      participants: [{ kind: 'external', role: 'candidate', name: SECRETS.participant, email: SECRETS.participantEmail }],
    });
  expect(started.status).toBe(201);
  const key = started.body.id as string;
  expect((await stack.http().post(`/v1/cases/${key}/comments`).set(auth(stack.tokens.hr)).send({ text: SECRETS.comment })).status).toBe(200);
  // The API's view is decoded as usual: the service itself reads its own payloads.
  expect((await stack.http().get(`/v1/cases/${key}`).set(auth(stack.tokens.hr))).body.title).toBe(SECRETS.title);

  // A client without the codec, as the Temporal UI, CLI or database see it.
  const raw = new Client({ connection: stack.client.connection, namespace: stack.config.TEMPORAL_NAMESPACE });
  // Wait until the automation e-mail to the candidate has run: its activity input carries the address.
  const history = await eventually(async () => {
    const h = await raw.workflow.getHandle(caseWorkflowId(key)).fetchHistory();
    return (h.events ?? []).some((e) => e.activityTaskCompletedEventAttributes) ? h : undefined;
  }, 30_000, 'an activity of the case to complete');
  const bytes = Buffer.from(temporal.api.history.v1.History.encode(history).finish());
  for (const [what, secret] of Object.entries(SECRETS)) {
    expect({ what, inRawHistory: bytes.includes(Buffer.from(secret)) }).toEqual({ what, inRawHistory: false });
  }

  const headers: JsonPayload[] = [];
  const payloads = payloadsOf(history, headers);
  // Headers carry the request id alone (api/correlation.ts: 1–128 characters of a safe set), in clear.
  expect(headers.length).toBeGreaterThan(0);
  for (const header of headers) expect(JSON.parse(Buffer.from(header.data ?? '', 'base64').toString())).toMatch(/^[A-Za-z0-9._:/+=@-]{1,128}$/);
  const encoding = (p: JsonPayload) => Buffer.from(p.metadata?.encoding ?? '', 'base64').toString();
  expect(payloads.length).toBeGreaterThan(5);
  expect(payloads.filter((p) => encoding(p) !== 'binary/encrypted')).toEqual([]);

  // The control: the same payloads, decoded by the codec server as the Temporal UI asks for them.
  const decoded = await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).set('X-Namespace', stack.config.TEMPORAL_NAMESPACE).send({ payloads });
  expect(decoded.status).toBe(200);
  const clear = Buffer.concat((decoded.body.payloads as JsonPayload[]).map((p) => Buffer.from(p.data ?? '', 'base64')));
  for (const [what, secret] of Object.entries(SECRETS)) {
    expect({ what, decoded: clear.includes(Buffer.from(secret)) }).toEqual({ what, decoded: true });
  }

  // One event both ways (the first update with arguments, the comment, as stored and as the codec gives it back), kept in
  // test-output/ for whoever wonders what the Temporal UI sees.
  const accepted = history.events!.find((e) => e.workflowExecutionUpdateAcceptedEventAttributes?.acceptedRequest?.input?.args?.payloads?.length)!;
  const event = temporal.api.history.v1.HistoryEvent.toObject(temporal.api.history.v1.HistoryEvent.create(accepted), { bytes: String, longs: String, enums: String });
  const args = payloadsOf({ events: [accepted] });
  const decodedArgs = (await stack.http().post('/codec/decode').set(auth(stack.tokens.admin)).send({ payloads: args })).body.payloads as JsonPayload[];
  const out = path.resolve(__dirname, '../../test-output/encrypted-history-example.json');
  fs.mkdirSync(path.dirname(out), { recursive: true });
  fs.writeFileSync(out, JSON.stringify({ event, decoded: decodedArgs, decodedData: decodedArgs.map((p) => JSON.parse(Buffer.from(p.data ?? '', 'base64').toString())) }, null, 2));
});
