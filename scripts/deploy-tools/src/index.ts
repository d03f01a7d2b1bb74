export * from './env-file';
export * from './make-env';
export * from './build-service';
