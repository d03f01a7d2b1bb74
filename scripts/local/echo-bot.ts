import { join } from 'node:path';
import type { RunnerConfig } from './config';
import { admin } from './database';
import type { LogSink } from './logs';
import { ServiceProcess } from './service-process';

/**
 * `WEBCHAT_ECHO_BOT=1 npm start`: registers a bot agent ("Echo") and a webhook to examples/echo-bot on the demo
 * account, and runs the bot, so a guest in the demo widget gets an automatic reply. A fresh agent key and webhook
 * secret each run (both are printed once by the CLI and never stored by it); the previous run's webhook to the
 * same URL is removed first so replies are not doubled.
 */
export async function startEchoBot(config: RunnerConfig, accountSid: string, databaseUrl: string, sink: LogSink, tsxLoader: string): Promise<ServiceProcess> {
  const port = config.echoBot?.port ?? 3900;
  const url = `http://127.0.0.1:${port}/webhooks`;
  const existing = JSON.parse(await admin(['webhooks', 'list', accountSid, '--json'], databaseUrl)) as Array<{ id: string; url: string }>;
  for (const endpoint of existing.filter((e) => e.url === url)) await admin(['webhooks', 'remove', endpoint.id], databaseUrl);
  const agentOutput = await admin(['agents', 'add', accountSid, '--name', 'Echo', '--bot'], databaseUrl);
  const agentKey = /wk_[A-Za-z0-9_-]+/.exec(agentOutput)?.[0];
  if (!agentKey) throw new Error('webchat-admin agents add printed no wk_ key');
  const added = JSON.parse(await admin(['webhooks', 'add', accountSid, '--url', url, '--events', 'message.created', '--json'], databaseUrl)) as { secret: string };
  const bot = new ServiceProcess(
    {
      name: 'echo-bot',
      dir: join(config.repo, 'examples', 'echo-bot'),
      port,
      env: { ...process.env, ECHO_BOT_PORT: String(port), WEBHOOK_SECRET: added.secret, AGENT_KEY: agentKey, WEBCHAT_API_URL: `http://127.0.0.1:${config.ports.starship}` },
    },
    sink,
    tsxLoader,
  );
  await bot.waitReady(config.readyTimeoutMs, () => undefined);
  return bot;
}
