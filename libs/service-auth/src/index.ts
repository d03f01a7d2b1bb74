export * from './keys';
export * from './tokens';
export * from './middleware';
export * from './setup';
