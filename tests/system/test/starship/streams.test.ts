import http from 'node:http';
import { startEdge, startTinyUpstream, type EdgeUnderTest, type TinyUpstream } from '@webchat/test-harness';

/*
 * Live event streams through the edge: passed on as they are written (not buffered), held past the API's read
 * timeout, limited per client address, and /desk/ served from Starship itself.
 */
const STREAM = `/v2/WebChannels/CH${'a'.repeat(32)}/Events`;

let upstream: TinyUpstream;
let edge: EdgeUnderTest;
const held = new Set<http.ServerResponse>();

beforeAll(async () => {
  upstream = await startTinyUpstream();
  upstream.handle((_req, res) => {
    held.add(res);
    res.writeHead(200, { 'content-type': 'text/event-stream' });
    res.write('retry: 1000\n\n');
  });
  // The API's read timeout is 1 s here; streams must outlive it.
  edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${upstream.port}`, proxyReadTimeout: '1s', streamConnLimit: 2 });
});

afterAll(async () => {
  for (const res of held) res.destroy();
  await edge?.stop();
  await upstream?.close();
});

/** Opens a stream and resolves with its status and a function that waits for the next chunk. */
function open(path: string): Promise<{ status: number; next(): Promise<string>; close(): void; body: () => string }> {
  return new Promise((resolve, reject) => {
    const req = http.get({ host: '127.0.0.1', port: edge.port, path, headers: { accept: 'text/event-stream' } }, (res) => {
      let body = '';
      const waiters: Array<(chunk: string) => void> = [];
      res.setEncoding('utf8');
      res.on('data', (chunk: string) => {
        body += chunk;
        for (const wake of waiters.splice(0)) wake(chunk);
      });
      resolve({
        status: res.statusCode ?? 0,
        next: () => new Promise((r) => waiters.push(r)),
        close: () => req.destroy(),
        body: () => body,
      });
    });
    req.on('error', reject);
  });
}

describe('event streams through Starship', () => {
  it('when the orchestrator writes an event, then the client gets it at once, even after the API read timeout has passed', async () => {
    const stream = await open(STREAM);
    expect(stream.status).toBe(200);
    await new Promise((r) => setTimeout(r, 1500));
    const next = stream.next();
    for (const res of held) res.write('id: 1\nevent: message.created\ndata: {"n":1}\n\n');
    await expect(next).resolves.toContain('event: message.created');
    stream.close();
  });

  it('when one address holds the limit of streams, then the next gets 429 from the edge and never reaches the orchestrator', async () => {
    for (const res of held) res.destroy();
    held.clear();
    await new Promise((r) => setTimeout(r, 200));
    const first = await open(STREAM);
    const second = await open('/v2/Conversations/Events');
    const before = upstream.seen.length;
    const third = await open(STREAM);
    expect([first.status, second.status, third.status]).toEqual([200, 200, 429]);
    expect(upstream.seen.length).toBe(before);
    for (const stream of [first, second, third]) stream.close();
  });

  it('serves the agent desk at /desk/ with a strict Content-Security-Policy', async () => {
    const page = await fetch(`http://127.0.0.1:${edge.port}/desk/`);
    expect(page.status).toBe(200);
    expect(await page.text()).toContain('<title>Webchat desk</title>');
    expect(page.headers.get('content-security-policy')).toContain("script-src 'self'");
    const script = await fetch(`http://127.0.0.1:${edge.port}/desk/desk.js`);
    expect(script.headers.get('content-type')).toBe('application/javascript');
  });
});
