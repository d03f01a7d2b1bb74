// No web framework and no dependencies: domain code throws these without pulling in Express.
export * from './codes';
export * from './app-error';
