// Soak instrumentation, loaded with --require next to --expose-gc: SIGUSR2 runs a full collection and
// writes the live heap after it to WEBCHAT_HEAP_REPORT, synchronously. (Reading --trace-gc from the log
// raced with stdout buffering: under load the forced collection's line was not there yet, and an early
// start-up collection was read instead.) The services' own code is untouched.
const fs = require('node:fs');

process.on('SIGUSR2', () => {
  if (typeof global.gc !== 'function') return;
  global.gc();
  const report = process.env.WEBCHAT_HEAP_REPORT;
  if (report) fs.writeFileSync(report, JSON.stringify({ at: Date.now(), heapUsedBytes: process.memoryUsage().heapUsed }));
});
