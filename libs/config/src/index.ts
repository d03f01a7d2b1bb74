export * from './load';
export * from './dev-secrets';
