import type { TemporalDevServer } from '../../scripts/temporal-dev-server';
import { SERVER_HANDLE } from './global-setup';

export default async function globalTeardown(): Promise<void> {
  // Only present when global-setup started the server itself (not for TEMPORAL_TEST_ADDRESS).
  const server = (globalThis as Record<string, unknown>)[SERVER_HANDLE] as TemporalDevServer | undefined;
  if (!server) return;
  delete (globalThis as Record<string, unknown>)[SERVER_HANDLE];
  await server.stop();
}
