export * from './client';
export * from './undici-adapter';
