/**
 * The open-loop generator: its schedule is a Poisson process at the offered rate, and a stall of the
 * system shows in the latency of every request that arrived during it (latency from the scheduled
 * send). Bounds asserted are about the measurement, never about how fast anything is.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { percentile, poissonArrivals, runOpenLoop } from './open-loop';

/** A seeded generator (mulberry32), so the schedule's statistics are the same on every run. */
function seeded(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

describe('the Poisson schedule', () => {
  const arrivals = poissonArrivals(200, 60, seeded(17));
  const gaps = arrivals.map((at, index) => at - (arrivals[index - 1] ?? 0));
  const mean = gaps.reduce((sum, gap) => sum + gap, 0) / gaps.length;
  const sd = Math.sqrt(gaps.reduce((sum, gap) => sum + (gap - mean) ** 2, 0) / gaps.length);

  test('when 200 req/s are offered for 60 s, then about 12,000 arrivals come, in order, inside the minute', () => {
    expect(arrivals.length).toBeGreaterThan(11_700);
    expect(arrivals.length).toBeLessThan(12_300);
    expect(gaps.every((gap) => gap >= 0)).toBe(true);
    expect(arrivals[arrivals.length - 1]!).toBeLessThan(60_000);
  });

  test('when the gaps are measured, then they are exponential: mean 5 ms, as spread as their mean, a third above it', () => {
    expect(mean).toBeGreaterThan(4.85);
    expect(mean).toBeLessThan(5.15);
    // An exponential's coefficient of variation is 1 (a constant-rate schedule's is 0).
    expect(sd / mean).toBeGreaterThan(0.95);
    expect(sd / mean).toBeLessThan(1.05);
    // P(gap > mean) = e^-1 ≈ 0.368.
    const above = gaps.filter((gap) => gap > 5).length / gaps.length;
    expect(above).toBeGreaterThan(0.35);
    expect(above).toBeLessThan(0.385);
  });

  test('when the rate or the duration is not positive, then it refuses', () => {
    expect(() => poissonArrivals(0, 1)).toThrow(/positive/);
    expect(() => poissonArrivals(100, -1)).toThrow(/positive/);
  });

  test('when a percentile is read, then it is the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, index) => index + 1);
    expect([percentile(values, 50), percentile(values, 99), percentile(values, 100), percentile([], 50)]).toEqual([50, 99, 100, Number.NaN]);
  });
});

describe('the open-loop run', () => {
  let server: http.Server;
  let url: string;
  /** While set, answers wait for it; it is released a fixed time after the first request arrives. */
  let gate: Promise<void> | undefined;
  const stallMs = 600;

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      gate ??= new Promise((release) => setTimeout(release, stallMs));
      req.resume();
      req.on('end', () => {
        void gate!.then(() => res.writeHead(req.url === '/refuse' ? 503 : 200, { 'content-type': 'application/json' }).end('{}'));
      });
    });
    await new Promise<void>((listening) => server.listen(0, '127.0.0.1', listening));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });

  afterAll(async () => {
    server.closeAllConnections();
    await new Promise((closed) => server.close(closed));
  });

  test('when the server stalls, then every request scheduled during the stall counts the stall, and every scheduled request is answered', async () => {
    gate = undefined;
    const result = await runOpenLoop({ url: `${url}/`, method: 'POST', headers: { 'content-type': 'application/json' }, body: '{}' }, 200, 1, { random: seeded(3) });
    expect({ answered: result.responses, ok: result.ok, errors: result.errors }).toEqual({ answered: result.scheduled, ok: result.scheduled, errors: 0 });
    // Requests scheduled in the first 300 ms (about 30% of them) waited at least 300 ms for the gate:
    // a closed loop would have sent none of them and reported one slow request.
    expect(result.latencyMs.p90).toBeGreaterThanOrEqual(300);
    expect(result.latencyMs.max).toBeGreaterThanOrEqual(500);
  });

  test('when the server refuses, then the answers are counted as non-2xx with their status', async () => {
    gate = Promise.resolve();
    const result = await runOpenLoop({ url: `${url}/refuse`, method: 'POST', headers: {}, body: '{}' }, 100, 0.5, { random: seeded(5) });
    expect(result).toMatchObject({ ok: 0, non2xx: result.scheduled, statusCodes: { '503': result.scheduled } });
  });

  test('when nothing listens, then every request is an error, not an answer', async () => {
    const closed = http.createServer();
    await new Promise<void>((listening) => closed.listen(0, '127.0.0.1', listening));
    const port = (closed.address() as AddressInfo).port;
    await new Promise((done) => closed.close(done));
    const result = await runOpenLoop({ url: `http://127.0.0.1:${port}/`, method: 'POST', headers: {}, body: '{}' }, 100, 0.3, { random: seeded(7) });
    expect({ responses: result.responses, errors: result.errors }).toEqual({ responses: 0, errors: result.scheduled });
  });
});
