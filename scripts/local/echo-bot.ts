import { join } from 'node:path';
import type { RunnerConfig } from './config';
import { admin, type DemoAccount } from './database';
import type { LogSink } from './logs';
import { ServiceProcess } from './service-process';

/**
 * `WEBCHAT_ECHO_BOT=1 npm start`: connects examples/echo-bot to the demo account and runs it, so a guest in the demo
 * widget gets an automatic reply. The bot agent ("Echo") is the same on every run: `seed-demo --echo-bot`
 * (prepareDemoData) keeps its key in the dev-secrets folder and adds the agent only when it is missing. The webhook gets a fresh secret each run
 * (the CLI prints it once and never stores it); the previous run's webhook to the same URL is removed first so
 * replies are not doubled.
 */
export async function startEchoBot(config: RunnerConfig, demo: DemoAccount, databaseUrl: string, sink: LogSink, tsxLoader: string): Promise<ServiceProcess> {
  const { accountSid, echoBotKey: agentKey } = demo;
  if (!agentKey) throw new Error('the demo data has no echo bot key (seed-demo --echo-bot)');
  const port = config.echoBot?.port ?? 3900;
  const url = `http://127.0.0.1:${port}/webhooks`;
  const existing = JSON.parse(await admin(['webhooks', 'list', accountSid, '--json'], databaseUrl)) as Array<{ id: string; url: string }>;
  for (const endpoint of existing.filter((e) => e.url === url)) await admin(['webhooks', 'remove', endpoint.id], databaseUrl);
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
