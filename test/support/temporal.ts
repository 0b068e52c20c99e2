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
