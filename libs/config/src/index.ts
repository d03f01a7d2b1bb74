export * from './load';
export * from './dev-secrets';
export * from './log-identity';
