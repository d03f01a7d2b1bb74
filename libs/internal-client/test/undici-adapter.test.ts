import http from 'node:http';
import type { AddressInfo } from 'node:net';
import axios, { AxiosError, isCancel } from 'axios';
import { Pool } from 'undici';
import { undiciAdapter } from '../src';

/** A real server that records what reached it: GET /slow answers after 1 s, /missing is a 404 problem, the rest echoes. */
async function startServer() {
  const seen: string[] = [];
  const server = http.createServer((req, res) => {
    seen.push(`${req.method} ${req.url}`);
    let body = '';
    req.on('data', (chunk: Buffer) => (body += chunk.toString()));
    req.on('end', () => {
      if (req.url?.endsWith('/missing')) {
        res.writeHead(404, { 'content-type': 'application/problem+json' }).end('{"code":"not_found"}');
        return;
      }
      const reply = () => res.writeHead(200, { 'content-type': 'application/json', 'x-seen': String(seen.length) }).end(JSON.stringify({ url: req.url, body }));
      if (req.url?.endsWith('/slow')) {
        const timer = setTimeout(reply, 1000);
        res.on('close', () => clearTimeout(timer));
      } else reply();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  return { url, seen, close: () => new Promise((resolve) => (server.closeAllConnections(), server.close(resolve))) };
}

describe('undiciAdapter (axios over an undici Pool)', () => {
  let server: Awaited<ReturnType<typeof startServer>>;
  const pools: Pool[] = [];
  const clientFor = (baseURL: string, connections = 4) => {
    const pool = new Pool(new URL(baseURL).origin, { connections });
    pools.push(pool);
    return axios.create({ baseURL, adapter: undiciAdapter(pool, baseURL) });
  };

  beforeAll(async () => {
    server = await startServer();
  });
  afterAll(async () => {
    for (const pool of pools) await pool.destroy();
    await server.close();
  });

  it('sends the JSON body and headers axios built, and gives back status, headers and the parsed answer', async () => {
    const response = await clientFor(server.url).post('/echo', { hello: 'world' }, { headers: { 'x-request-id': 'abc-12345' } });
    expect(response.status).toBe(200);
    expect(response.headers['content-type']).toBe('application/json');
    expect(response.data).toEqual({ url: '/echo', body: '{"hello":"world"}' });
  });

  it('keeps the base URL\'s path in front of every path', async () => {
    const response = await clientFor(`${server.url}/prefix`).get('/echo');
    expect(response.data.url).toBe('/prefix/echo');
  });

  it("with axios's default validateStatus, a 404 is an AxiosError that carries the answer", async () => {
    const err = (await clientFor(server.url).get('/missing').catch((e: unknown) => e)) as AxiosError;
    expect(err).toBeInstanceOf(AxiosError);
    expect(err.code).toBe(AxiosError.ERR_BAD_REQUEST);
    expect(err.response?.status).toBe(404);
    expect(err.response?.data).toEqual({ code: 'not_found' });
  });

  it('answers bytes when asked for an arraybuffer', async () => {
    const response = await clientFor(server.url).get('/echo', { responseType: 'arraybuffer' });
    expect(Buffer.isBuffer(response.data)).toBe(true);
    expect(JSON.parse((response.data as Buffer).toString('utf8'))).toEqual({ url: '/echo', body: '' });
  });

  it('when the signal is aborted mid-call, then the call is cancelled at once', async () => {
    const controller = new AbortController();
    const started = Date.now();
    setTimeout(() => controller.abort(), 100);
    const err = await clientFor(server.url).get('/slow', { signal: controller.signal }).catch((e: unknown) => e);
    expect(isCancel(err)).toBe(true);
    expect(Date.now() - started).toBeLessThan(800);
  });

  it('the timeout is the whole call\'s deadline, queueing for a connection included: a call that never got one is never sent', async () => {
    const client = clientFor(server.url, 1);
    const before = server.seen.length;
    const slow = client.get('/slow', { timeout: 3000 });
    const started = Date.now();
    const queued = await client.get('/queued', { timeout: 200 }).catch((e: unknown) => e);
    expect(queued).toMatchObject({ code: AxiosError.ECONNABORTED });
    expect(Date.now() - started).toBeLessThan(800);
    expect((await slow).status).toBe(200);
    expect(server.seen.slice(before)).toEqual(['GET /slow']);
  });

  it('refuses what it does not implement (params) instead of ignoring it, and sends nothing', async () => {
    const before = server.seen.length;
    const err = await clientFor(server.url).get('/echo', { params: { q: 1 } }).catch((e: unknown) => e);
    expect(err).toMatchObject({ code: AxiosError.ERR_NOT_SUPPORT });
    expect(server.seen.length).toBe(before);
  });
});
