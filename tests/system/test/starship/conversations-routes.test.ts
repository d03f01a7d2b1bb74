import { startEdge, startTinyUpstream, type EdgeUnderTest, type TinyUpstream } from '@webchat/test-harness';

/*
 * The Conversations API (agents and bots) has one spelling per route at the edge, like WebChannels: a SID-shaped
 * segment of any content reaches the orchestrator (so a malformed SID gets its documented 400 invalid_request),
 * while a trailing slash or another case of `Messages`/`Close` is the edge's 404 and reaches nothing.
 */
const SID = `CH${'b'.repeat(32)}`;
let upstream: TinyUpstream;
let edge: EdgeUnderTest;

beforeAll(async () => {
  upstream = await startTinyUpstream();
  upstream.handle((_req, res) => res.writeHead(200, { 'content-type': 'application/json' }).end('{}'));
  edge = await startEdge({ orchestratorUpstream: `127.0.0.1:${upstream.port}` });
});

afterAll(async () => {
  await edge?.stop();
  await upstream?.close();
});

async function throughEdge(method: string, path: string): Promise<{ status: number; reached: boolean }> {
  const before = upstream.seen.length;
  const reply = await fetch(`http://127.0.0.1:${edge.port}${path}`, { method, headers: { authorization: 'Bearer wk_test' } });
  await reply.arrayBuffer();
  return { status: reply.status, reached: upstream.seen.slice(before).some((seen) => seen.url === path) };
}

describe('the Conversations API routes at the edge', () => {
  it.each([
    ['GET', '/v2/Conversations'],
    ['GET', `/v2/Conversations/${SID}`],
    ['GET', `/v2/Conversations/${SID}/Messages`],
    ['POST', `/v2/Conversations/${SID}/Messages`],
    ['POST', `/v2/Conversations/${SID}/Close`],
    ['GET', '/v2/Conversations/CHnope'],
    ['POST', '/v2/Conversations/not-a-sid/Messages'],
  ])('when %s %s is asked, then it reaches the orchestrator as written', async (method, path) => {
    expect(await throughEdge(method, path)).toEqual({ status: 200, reached: true });
  });

  it.each([
    ['GET', `/v2/Conversations/${SID}/`],
    ['GET', `/v2/Conversations/${SID}/messages`],
    ['POST', `/v2/Conversations/${SID}/close`],
    ['GET', `/v2/Conversations/${SID}/Messages/`],
    ['GET', `/v2/Conversations/${SID}/Other`],
  ])('when %s %s is asked, then the edge answers 404 and nothing reaches the orchestrator', async (method, path) => {
    expect(await throughEdge(method, path)).toEqual({ status: 404, reached: false });
  });

  it('when a doubled slash is asked, then the raw path is passed on as written, never rewritten into a valid route (nginx matches the normalised form)', async () => {
    expect(await throughEdge('GET', '/v2/Conversations//Messages')).toEqual({ status: 200, reached: true });
  });
});
