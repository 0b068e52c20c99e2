/**
 * The image's HEALTHCHECK (`node dist/scripts/healthcheck.js`; slim images have no curl): exit 0
 * when this container's process is ready — the API's /readyz on PORT, or the worker's on
 * WORKER_PORT (one image runs either, and each process listens on one of the two) — else 1.
 */
import { DEFAULT_WORKER_PORT, loadConfig } from '../config/env';

const TIMEOUT_MS = 4_000;

async function ready(url: string): Promise<boolean> {
  try {
    return (await fetch(url, { signal: AbortSignal.timeout(TIMEOUT_MS) })).ok;
  } catch {
    return false;
  }
}

async function main(): Promise<void> {
  const config = loadConfig();
  // A wildcard listener is reached on loopback; a process bound to one address, at that address.
  const bound = !config.HOST || config.HOST === '0.0.0.0' || config.HOST === '::' ? '127.0.0.1' : config.HOST;
  const host = bound.includes(':') ? `[${bound}]` : bound;
  const urls = [`http://${host}:${config.PORT}/readyz`, `http://${host}:${config.WORKER_PORT ?? DEFAULT_WORKER_PORT}/readyz`];
  const answers = await Promise.all(urls.map(ready));
  process.exit(answers.some(Boolean) ? 0 : 1);
}

main().catch((err: unknown) => {
  console.error(err instanceof Error ? err.message : err);
  process.exit(1);
});
