export * from './common';
export * from './problem';
export * from './health';
export * from './scoped-auth';
export * from './federated-auth';
export * from './orchestrator';
export * from './openapi';
export * from './routes';
