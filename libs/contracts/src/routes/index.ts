export * from './operational';
export * from './scoped-auth';
export * from './federated-auth';
export * from './orchestrator';
export * from './conversations';
export * from './webchat-configuration';
