/** The payload codec: what it writes, what it reads back, and how keys rotate. */
import { randomBytes } from 'node:crypto';
import type { Payload } from '@temporalio/common';
import { defaultPayloadConverter } from '@temporalio/common';
import { loadConfig } from '../../config/env';
import { payloadCodecOf } from '../../temporal/data-converter';
import { AesGcmPayloadCodec, ENCRYPTED_ENCODING, KEY_ID_METADATA, PayloadDecodeError } from '../../temporal/payload-codec';

const keyText = () => randomBytes(32).toString('base64');
const k1 = keyText();
const k2 = keyText();
const codecFor = (env: Record<string, string>) => payloadCodecOf(loadConfig({ NODE_ENV: 'test', ...env }));

const SECRET = { fullName: 'Jürgen Müller', email: 'jurgen.muller@example.com', salary: 123456 };
const payload = (value: unknown): Payload => defaultPayloadConverter.toPayload(value);
const valueOf = (p: Payload) => defaultPayloadConverter.fromPayload(p);
const str = (bytes: Uint8Array | null | undefined) => Buffer.from(bytes ?? new Uint8Array()).toString('utf8');

test('an encoded payload carries no plaintext and names its key; decoding restores it exactly', async () => {
  const codec = codecFor({ PAYLOAD_KEYS: `k1:${k1}` });
  const original = payload(SECRET);
  const [encoded] = await codec.encode([original]);
  expect(str(encoded!.metadata!.encoding)).toBe(ENCRYPTED_ENCODING);
  expect(str(encoded!.metadata![KEY_ID_METADATA])).toBe('k1');
  const raw = Buffer.from(encoded!.data!).toString('latin1');
  for (const plain of ['Jürgen', 'Müller', 'jurgen.muller@example.com', '123456', 'json/plain']) expect(raw).not.toContain(plain);
  const [decoded] = await codec.decode([encoded!]);
  expect(str(decoded!.metadata!.encoding)).toBe('json/plain');
  expect(valueOf(decoded!)).toEqual(SECRET);
});

test('the same value encrypts differently every time (a fresh IV per payload)', async () => {
  const codec = codecFor({ PAYLOAD_KEYS: `k1:${k1}` });
  const [a, b] = await codec.encode([payload(SECRET), payload(SECRET)]);
  expect(Buffer.from(a!.data!).equals(Buffer.from(b!.data!))).toBe(false);
});

test('payloads written before encryption (histories in clear) pass through decode unchanged', async () => {
  const codec = codecFor({ PAYLOAD_KEYS: `k1:${k1}` });
  const plain = [payload(SECRET), payload(null), payload('text')];
  expect(await codec.decode(plain)).toEqual(plain);
});

test('key rotation: encrypt with key 1, rotate to key 2, and payloads of both decode', async () => {
  const before = codecFor({ PAYLOAD_KEYS: `k1:${k1}` });
  const [old] = await before.encode([payload({ written: 'before rotation' })]);

  // The rotation: key 2 joins and encrypts from now on; key 1 stays to read what it wrote.
  const after = codecFor({ PAYLOAD_KEYS: `k1:${k1},k2:${k2}`, PAYLOAD_KEY_ID: 'k2' });
  const [fresh] = await after.encode([payload({ written: 'after rotation' })]);
  expect(str(fresh!.metadata![KEY_ID_METADATA])).toBe('k2');
  expect((await after.decode([old!, fresh!])).map(valueOf)).toEqual([{ written: 'before rotation' }, { written: 'after rotation' }]);

  // Key 1 removed too early: its payloads are refused with a message naming the missing key.
  const retired = codecFor({ PAYLOAD_KEYS: `k2:${k2}` });
  expect(valueOf((await retired.decode([fresh!]))[0]!)).toEqual({ written: 'after rotation' });
  await expect(retired.decode([old!])).rejects.toThrow('payload encrypted with key "k1", which is not configured (PAYLOAD_KEYS has "k2")');
});

test('a different key under the same id, or altered bytes, or a relabelled key id, is refused, never decoded to garbage', async () => {
  const codec = codecFor({ PAYLOAD_KEYS: `k1:${k1},k2:${k2}`, PAYLOAD_KEY_ID: 'k1' });
  const [encoded] = await codec.encode([payload(SECRET)]);

  const impostor = codecFor({ PAYLOAD_KEYS: `k1:${k2}` });
  await expect(impostor.decode([encoded!])).rejects.toThrow(PayloadDecodeError);
  await expect(impostor.decode([encoded!])).rejects.toThrow('does not decrypt with the configured key of that id');

  const altered = Buffer.from(encoded!.data!);
  altered[20]! ^= 1;
  await expect(codec.decode([{ ...encoded!, data: altered }])).rejects.toThrow(PayloadDecodeError);

  // The key id is authenticated: pointing the payload at the other key (also configured) fails too.
  const relabelled = { ...encoded!, metadata: { ...encoded!.metadata, [KEY_ID_METADATA]: Buffer.from('k2') } };
  await expect(codec.decode([relabelled])).rejects.toThrow('key "k2" does not decrypt');
});

test('without keys, encode passes payloads through and encrypted ones cannot be decoded', async () => {
  const codec = codecFor({});
  const plain = [payload(SECRET)];
  expect(await codec.encode(plain)).toEqual(plain);
  const [encrypted] = await new AesGcmPayloadCodec([{ id: 'k1', key: Buffer.from(k1, 'base64') }], 'k1').encode(plain);
  await expect(codec.decode([encrypted!])).rejects.toThrow('(PAYLOAD_KEYS has no keys)');
});
