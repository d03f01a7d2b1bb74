/** The bot's whole configuration, read once at start (the only reader of process.env). */
export interface EchoBotConfig {
  port: number;
  host: string;
  /** The endpoint's signing secret, printed once by `webchat-admin webhooks add`. */
  webhookSecret: string;
  /** Where the agent API is: Starship (e.g. http://localhost:8080). */
  apiBaseUrl: string;
  /** The bot agent's key (`wk_...`), printed once by `webchat-admin agents add SID --name Echo --bot`. */
  agentKey: string;
}

export function loadEchoBotConfig(env: NodeJS.ProcessEnv = process.env): EchoBotConfig {
  const problems: string[] = [];
  const required = (name: string, check: (value: string) => boolean, hint: string) => {
    const value = env[name] ?? '';
    if (!check(value)) problems.push(`${name}: ${hint}`);
    return value;
  };
  const port = Number(env.ECHO_BOT_PORT || 3900);
  if (!Number.isInteger(port) || port < 0 || port > 65535) problems.push('ECHO_BOT_PORT: a port number');
  const config: EchoBotConfig = {
    port,
    host: env.ECHO_BOT_HOST || '127.0.0.1',
    webhookSecret: required('WEBHOOK_SECRET', (v) => v.startsWith('whsec_'), 'the whsec_... secret from "webchat-admin webhooks add"'),
    apiBaseUrl: required('WEBCHAT_API_URL', (v) => /^https?:\/\//.test(v), 'the agent API base URL, e.g. http://localhost:8080').replace(/\/+$/, ''),
    agentKey: required('AGENT_KEY', (v) => v.startsWith('wk_'), 'the wk_... key from "webchat-admin agents add SID --name Echo --bot"'),
  };
  if (problems.length > 0) throw new Error(`echo-bot: invalid configuration:\n  ${problems.join('\n  ')}`);
  return config;
}
