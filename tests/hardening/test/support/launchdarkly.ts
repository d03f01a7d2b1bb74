import http from 'node:http';
import type { Logger } from '@webchat/logger';
import { ldLogger } from '@webchat/orchestrator/src/data-access/launchdarkly';
import { WEBCHAT_SECURITY_FLAG } from '@webchat/orchestrator/src/domain/feature-flags';
import { init } from '@launchdarkly/node-server-sdk';
import type { SystemOptions } from '@webchat/test-harness';

type LDClient = NonNullable<SystemOptions['ldClient']>;


export const FAKE_SDK_KEY = 'sdk-hardening-0000-not-a-real-key-0000';

/**
 * A LaunchDarkly client with an SDK key whose every endpoint is 127.0.0.1:port: while nothing listens
 * there, LaunchDarkly is unreachable (no network) and the SDK keeps retrying in the background.
 */
export function launchDarklyAt(port: number, logger: Logger): LDClient {
  const base = `http://127.0.0.1:${port}`;
  return init(FAKE_SDK_KEY, {
    baseUri: base,
    streamUri: base,
    eventsUri: base,
    stream: true,
    streamInitialReconnectDelay: 0.2,
    sendEvents: false,
    diagnosticOptOut: true,
    logger: ldLogger(logger),
  });
}

/**
 * The smallest LaunchDarkly the server SDK will stream from: `GET /all` answers a server-sent `put`
 * with one boolean flag. Coming up on the port the client retries is "LaunchDarkly is back".
 */
export async function fakeLaunchDarkly(port: number, flagValue: boolean): Promise<{ close(): Promise<void>; streams: () => number }> {
  let streams = 0;
  const flag = {
    key: WEBCHAT_SECURITY_FLAG,
    version: 2,
    on: true,
    variations: [true, false],
    fallthrough: { variation: flagValue ? 0 : 1 },
    offVariation: 1,
    targets: [],
    contextTargets: [],
    rules: [],
    prerequisites: [],
    salt: 'hardening',
    trackEvents: false,
    trackEventsFallthrough: false,
    debugEventsUntilDate: null,
    clientSide: false,
  };
  const server = http.createServer((req, res) => {
    if (req.method === 'GET' && req.url?.startsWith('/all')) {
      streams += 1;
      res.writeHead(200, { 'content-type': 'text/event-stream', 'cache-control': 'no-cache' });
      res.write(`event: put\ndata: ${JSON.stringify({ path: '/', data: { flags: { [flag.key]: flag }, segments: {} } })}\n\n`);
      return; // held open, as a stream is
    }
    res.writeHead(202).end();
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    streams: () => streams,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
