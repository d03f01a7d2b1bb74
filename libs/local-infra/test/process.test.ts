import { createServer, type Server } from 'node:http';
import { readFileSync } from 'node:fs';
import { getFreePort, getFreePortBelowEphemeralRange, isPortFree, waitForHttp } from '../src';

describe('process helpers', () => {
  let server: Server | undefined;
  afterEach(async () => {
    await new Promise((closed) => (server ? server.close(closed) : closed(undefined)));
    server = undefined;
  });

  it('getFreePort returns a port that is free', async () => {
    const port = await getFreePort();
    expect(port).toBeGreaterThan(0);
    await expect(isPortFree(port)).resolves.toBe(true);
  });

  it('getFreePortBelowEphemeralRange returns free ports that bind(0) and outgoing connections are never given', async () => {
    const [low] = readFileSync('/proc/sys/net/ipv4/ip_local_port_range', 'utf8').trim().split(/\s+/).map(Number);
    const ports = [await getFreePortBelowEphemeralRange(), await getFreePortBelowEphemeralRange()];
    expect(new Set(ports).size).toBe(2);
    for (const port of ports) {
      expect(port).toBeLessThan(low!);
      expect(port).toBeGreaterThanOrEqual(1024);
      expect(await isPortFree(port)).toBe(true);
    }
  });

  it('waitForHttp polls until the health URL answers 2xx', async () => {
    let calls = 0;
    server = createServer((_request, response) => {
      calls += 1;
      response.statusCode = calls < 3 ? 503 : 200;
      response.end();
    });
    const port = await getFreePort();
    await new Promise<void>((listening) => server?.listen(port, '127.0.0.1', listening));
    await expect(isPortFree(port)).resolves.toBe(false);
    await expect(waitForHttp(`http://127.0.0.1:${port}/health`, { timeoutMs: 5000, intervalMs: 10 })).resolves.toBe(200);
    expect(calls).toBe(3);
  });

  it('waitForHttp gives up after the timeout, naming the last failure', async () => {
    const port = await getFreePort();
    await expect(waitForHttp(`http://127.0.0.1:${port}/`, { timeoutMs: 200, intervalMs: 20 })).rejects.toThrow(
      /not healthy within 200 ms/,
    );
  });
});
