export * from './paths';
export * from './compose';
export * from './kubectl';
export * from './k8s-validate';
export * from './network-graph';
export * from './env-coverage';
export * from './dockerfile';
