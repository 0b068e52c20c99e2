import type { DataConverter } from '@temporalio/common';
import type { Config } from '../config/env';
import { AesGcmPayloadCodec } from './payload-codec';

/** The codec over the configured keys (PAYLOAD_KEYS, PAYLOAD_KEY_ID); without keys it encodes nothing. */
export function payloadCodecOf(config: Pick<Config, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID'>): AesGcmPayloadCodec {
  return new AesGcmPayloadCodec(config.PAYLOAD_KEYS, config.PAYLOAD_KEYS.length > 0 ? config.PAYLOAD_KEY_ID : undefined);
}

/**
 * The failure converter's module: give it to `bundleWorkflowCode({ failureConverterPath })` when
 * bundling the workflows ahead of time, so failures raised in workflow code are encoded too (a
 * bundle without it still decodes them).
 */
export const FAILURE_CONVERTER_PATH = require.resolve('./failure-converter');

/**
 * The data converter of every Temporal client and worker of the service (API, worker, schedules,
 * scripts, tests): one place, so nothing writes a payload in clear by taking the SDK's default.
 * Failures' messages and stack traces are encoded into payloads first, so they are encrypted too.
 */
export function temporalDataConverter(config: Pick<Config, 'PAYLOAD_KEYS' | 'PAYLOAD_KEY_ID'>): DataConverter {
  return { payloadCodecs: [payloadCodecOf(config)], failureConverterPath: FAILURE_CONVERTER_PATH };
}

/** Whether new payloads are encrypted (for the start-up warning). */
export function encryptsPayloads(config: Pick<Config, 'PAYLOAD_KEYS'>): boolean {
  return config.PAYLOAD_KEYS.length > 0;
}
