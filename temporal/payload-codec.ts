/**
 * AES-256-GCM encryption of every payload the service hands to Temporal, so case data (names,
 * e-mails, salaries, comments) is ciphertext in Temporal's database, its Web UI and its CLI, and
 * readable only through this service's keys (the workers, the API, and the codec endpoints).
 */
import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import type { Payload, PayloadCodec } from '@temporalio/common';
import { temporal } from '@temporalio/proto';
import type { PayloadKey } from '../config/env';

/** The `encoding` of an encrypted payload; anything else is passed through by `decode`. */
export const ENCRYPTED_ENCODING = 'binary/encrypted';
/** Metadata naming the key that encrypted the payload, so keys can rotate. */
export const KEY_ID_METADATA = 'encryption-key-id';
const CIPHER_METADATA = 'encryption-cipher';
const CIPHER = 'AES-256-GCM';

const IV_BYTES = 12;
const TAG_BYTES = 16;

const utf8 = (text: string) => new TextEncoder().encode(text);
const text = (bytes: Uint8Array | null | undefined) => (bytes ? Buffer.from(bytes).toString('utf8') : undefined);

/** A payload this codec cannot decode: its key is not configured, or the ciphertext does not authenticate. */
export class PayloadDecodeError extends Error {
  constructor(
    message: string,
    /** The key the payload names, when it names one. */
    readonly keyId?: string,
  ) {
    super(message);
    this.name = 'PayloadDecodeError';
  }
}

/**
 * Encrypts with one key (its id goes into the payload's metadata) and decrypts with any key it
 * knows, so a rotation never strands old histories. What is encrypted is the whole original
 * payload (its metadata included: `json/plain` says nothing, but a converter's metadata might),
 * serialised as protobuf. The key id is the AEAD's additional data: a payload relabelled to
 * another key fails to authenticate rather than decrypting to garbage. Payloads without the
 * encrypted encoding (histories written before encryption was on) are returned as they are.
 * No compression before encryption: the length of a compressed secret next to text an attacker
 * chose (a comment) would leak it.
 */
export class AesGcmPayloadCodec implements PayloadCodec {
  private readonly keys: ReadonlyMap<string, Buffer>;

  constructor(
    keys: readonly PayloadKey[],
    /** The key that encrypts; undefined: encode passes payloads through (decode still decrypts). */
    private readonly encryptWith: string | undefined,
  ) {
    this.keys = new Map(keys.map((k) => [k.id, k.key]));
    if (encryptWith !== undefined && !this.keys.has(encryptWith)) throw new Error(`payload key "${encryptWith}" is not among the configured keys`);
  }

  async encode(payloads: Payload[]): Promise<Payload[]> {
    const keyId = this.encryptWith;
    if (keyId === undefined) return payloads;
    const key = this.keys.get(keyId)!;
    return payloads.map((payload) => {
      const iv = randomBytes(IV_BYTES);
      const cipher = createCipheriv('aes-256-gcm', key, iv);
      cipher.setAAD(Buffer.from(keyId, 'utf8'));
      const plain = temporal.api.common.v1.Payload.encode(payload).finish();
      const data = Buffer.concat([iv, cipher.update(plain), cipher.final(), cipher.getAuthTag()]);
      return {
        metadata: { encoding: utf8(ENCRYPTED_ENCODING), [KEY_ID_METADATA]: utf8(keyId), [CIPHER_METADATA]: utf8(CIPHER) },
        data,
      };
    });
  }

  async decode(payloads: Payload[]): Promise<Payload[]> {
    return payloads.map((payload) => (isEncrypted(payload) ? this.decrypt(payload) : payload));
  }

  private decrypt(payload: Payload): Payload {
    const keyId = text(payload.metadata?.[KEY_ID_METADATA]);
    if (!keyId) throw new PayloadDecodeError(`an encrypted payload without "${KEY_ID_METADATA}" metadata cannot be decrypted`);
    const key = this.keys.get(keyId);
    if (!key) {
      const known = [...this.keys.keys()];
      throw new PayloadDecodeError(`payload encrypted with key "${keyId}", which is not configured (PAYLOAD_KEYS has ${known.length ? known.map((k) => `"${k}"`).join(', ') : 'no keys'})`, keyId);
    }
    const data = Buffer.from(payload.data ?? new Uint8Array());
    if (data.length < IV_BYTES + TAG_BYTES) throw new PayloadDecodeError(`payload encrypted with key "${keyId}" is truncated`, keyId);
    try {
      const decipher = createDecipheriv('aes-256-gcm', key, data.subarray(0, IV_BYTES));
      decipher.setAAD(Buffer.from(keyId, 'utf8'));
      decipher.setAuthTag(data.subarray(data.length - TAG_BYTES));
      const plain = Buffer.concat([decipher.update(data.subarray(IV_BYTES, data.length - TAG_BYTES)), decipher.final()]);
      const original = temporal.api.common.v1.Payload.decode(plain);
      return { metadata: original.metadata, data: original.data };
    } catch {
      throw new PayloadDecodeError(`payload encrypted with key "${keyId}" does not decrypt with the configured key of that id (a different key under the same id, or altered data)`, keyId);
    }
  }
}

export function isEncrypted(payload: Payload): boolean {
  return text(payload.metadata?.encoding) === ENCRYPTED_ENCODING;
}
