// Soak instrumentation, loaded with --require next to --expose-gc: SIGUSR2 runs a full collection, so
// the soak can compare resting memory after one. The services' own code is untouched.
process.on('SIGUSR2', () => {
  if (typeof global.gc === 'function') global.gc();
});
