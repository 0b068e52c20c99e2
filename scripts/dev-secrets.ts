/**
 * Secrets `npm start` makes for itself when the environment gives none, kept in DATA_DIR beside
 * what they protect (the dev server's SQLite histories): deleting the folder resets both together.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Config, PayloadKey } from '../config/env';

async function readOrCreate(file: string, make: () => string): Promise<string> {
  const saved = (await fs.readFile(file, 'utf8').catch(() => '')).trim();
  if (saved) return saved;
  const value = make();
  // wx: two starts racing on one folder keep the first key, never two.
  await fs.writeFile(file, `${value}\n`, { mode: 0o600, flag: 'wx' }).catch(async (err: NodeJS.ErrnoException) => {
    if (err.code !== 'EEXIST') throw err;
  });
  return (await fs.readFile(file, 'utf8')).trim();
}

/**
 * The configuration with a payload key: PAYLOAD_KEYS when set, else a development key generated
 * once into `<DATA_DIR>/payload-key` (as `dev:<base64>`, the PAYLOAD_KEYS format, so it can be
 * copied into the environment of other processes that must read these histories).
 */
export async function withDevPayloadKey(config: Config): Promise<{ config: Config; keyFile?: string }> {
  if (config.PAYLOAD_KEYS.length > 0) return { config };
  const keyFile = path.join(config.dataDir, 'payload-key');
  const line = await readOrCreate(keyFile, () => `dev:${randomBytes(32).toString('base64')}`);
  const [id, material] = line.split(':') as [string, string];
  const key: PayloadKey = { id, key: Buffer.from(material, 'base64') };
  if (key.key.length !== 32) throw new Error(`${keyFile} does not hold a payload key (<id>:<base64 of 32 bytes>); delete it to make a new one (histories encrypted with it become unreadable)`);
  return { config: { ...config, PAYLOAD_KEYS: [key], PAYLOAD_KEY_ID: id }, keyFile };
}

/** The secret of the dev server UI's codec link (api/routes/codec.ts), kept in `<DATA_DIR>/codec-link`. */
export function devCodecLink(dataDir: string): Promise<string> {
  return readOrCreate(path.join(dataDir, 'codec-link'), () => `ccl_${randomBytes(24).toString('base64url')}`);
}
