export * from './templates';
export * from './case-sequences';
export * from './cases';
export * from './case-events';
export * from './tasks';
export * from './participants';
export * from './api-tokens';
export * from './idempotency-keys';
