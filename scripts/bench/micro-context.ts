/**
 * What AsyncLocalStorage (the request id's context) costs the promises of a request (issue 17). On Node 20
 * it ran on async hooks: once the first `run` happened, every promise in the process paid for them
 * (30 awaits: 2.0 µs before, 5.5–5.8 µs after). Node 24 keeps the context in an AsyncContextFrame
 * instead. Run it both ways to see the difference on the same runtime:
 *   node --import tsx scripts/bench/micro-context.ts
 *   node --no-async-context-frame --import tsx scripts/bench/micro-context.ts
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { compareSides, renderSides } from './micro';

const [count = 100_000, rounds = 5] = process.argv.slice(2).map(Number);
const AWAITS = 30;
const store = new AsyncLocalStorage<{ requestId: string }>();

/** A request's worth of promise traffic, reading the context at the end as a log line would. */
async function work(): Promise<string | undefined> {
  for (let i = 0; i < AWAITS; i += 1) await Promise.resolve(i);
  return store.getStore()?.requestId;
}

const sequentially = async (n: number, once: () => Promise<unknown>) => {
  for (let i = 0; i < n; i += 1) await once();
};

async function main(): Promise<void> {
  const options = { count, rounds, warmup: 20_000 };
  // Before any run(): with async hooks, the hooks are not on yet.
  const [untouched] = await compareSides([{ name: `${AWAITS} awaits, no run() yet in the process`, run: (n) => sequentially(n, work) }], options);
  const context = { requestId: 'req-0123456789' };
  const sides = await compareSides(
    [
      { name: `${AWAITS} awaits inside run() (a request)`, run: (n) => sequentially(n, () => store.run(context, work)) },
      { name: `${AWAITS} awaits outside any run(), after the first run()`, run: (n) => sequentially(n, work) },
      { name: 'run() + getStore() alone', run: (n) => sequentially(n, async () => store.run(context, () => store.getStore())) },
    ],
    options,
  );
  const frame = process.execArgv.includes('--no-async-context-frame') ? 'async hooks (--no-async-context-frame)' : 'AsyncContextFrame (default)';
  process.stdout.write(`Node ${process.version}, ${frame}, ${count} per side per round, ${rounds} rounds\n${renderSides([untouched!, ...sides], 'request')}\n`);
}

void main();
