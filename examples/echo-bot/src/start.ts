import { createEchoBot } from './bot';
import { loadEchoBotConfig } from './config';

const config = loadEchoBotConfig();
const server = createEchoBot(config, (line) => process.stdout.write(`echo-bot | ${line}\n`));
server.listen(config.port, config.host, () => {
  process.stdout.write(`echo-bot | listening on http://${config.host}:${config.port}/webhooks, replying through ${config.apiBaseUrl}\n`);
});
for (const signal of ['SIGINT', 'SIGTERM'] as const) process.on(signal, () => server.close(() => process.exit(0)));
