export * from './errors';
export * from './validate';
export * from './problem';
export * from './request-id';
export * from './body';
export * from './metrics';
export * from './app';
export * from './server';
