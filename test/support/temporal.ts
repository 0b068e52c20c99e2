/** Where the suite's Temporal server is; set by test/support/global-setup.ts. */
export function testTemporalAddress(): string {
  const address = process.env.TEMPORAL_TEST_ADDRESS;
  if (!address) {
    throw new Error('TEMPORAL_TEST_ADDRESS is not set: run the tests through jest so test/support/global-setup.ts runs');
  }
  return address;
}

export function testNamespace(): string {
  return process.env.TEMPORAL_TEST_NAMESPACE || 'default';
}

/**
 * The payload key of every test client and worker: fixed, so that the workers, clients and test
 * helpers of one run (and the histories they leave on the shared server) agree. Cases in tests are
 * encrypted as in production; test/temporal/encrypted-history.test.ts checks the raw history.
 */
export const TEST_PAYLOAD_ENV = { PAYLOAD_KEYS: 'test-1:2qP5w6VJm3q0cM0e0uF6YV8b6nVf8zq9o4P6k1sGm0I=' } as const;
