/**
 * `pnpm --filter @webchat/starship start`: Starship alone, in front of an orchestrator that is already
 * running (the whole system: `pnpm start` at the root). Renders the container flavour of the config
 * (no demo site) into a prefix folder and runs nginx in the foreground; SIGTERM/SIGINT stop it gracefully.
 *
 *   PORT (8080), HOST (127.0.0.1), ORCHESTRATOR_UPSTREAM (127.0.0.1:4000), STARSHIP_PREFIX
 *   (<repo>/.data/starship-alone), STARSHIP_ASSETS_DIR, STARSHIP_ACCESS_LOG (<prefix>/logs/access.log;
 *   /dev/stdout works from a terminal), STARSHIP_TOKEN_RATE (10r/s), STARSHIP_TOKEN_BURST (20)
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { isPortFree, NGINX_BIN } from '@webchat/testkit';
import { DEFAULT_ASSETS_DIR, prepareStarshipPrefix, renderStarshipConfig } from './render';

async function main(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const port = Number(env.PORT || 8080);
  const prefixDir = resolve(env.STARSHIP_PREFIX || join(__dirname, '../../../.data/starship-alone'));
  const configText = renderStarshipConfig({
    mode: 'container',
    listenPort: port,
    listenHost: env.HOST || '127.0.0.1',
    orchestratorUpstream: env.ORCHESTRATOR_UPSTREAM || '127.0.0.1:4000',
    prefixDir,
    assetsDir: resolve(env.STARSHIP_ASSETS_DIR || DEFAULT_ASSETS_DIR),
    accessLog: env.STARSHIP_ACCESS_LOG || join(prefixDir, 'logs', 'access.log'),
    errorLog: 'stderr',
    ...(env.STARSHIP_TOKEN_RATE ? { tokenRate: env.STARSHIP_TOKEN_RATE } : {}),
    ...(env.STARSHIP_TOKEN_BURST ? { tokenBurst: Number(env.STARSHIP_TOKEN_BURST) } : {}),
    ...(process.getuid?.() === 0 ? { workerUser: 'root' } : {}),
  });
  if (!(await isPortFree(port))) throw new Error(`port ${port} is already in use; set PORT to another one`);
  prepareStarshipPrefix(prefixDir);
  const configPath = join(prefixDir, 'nginx.conf');
  writeFileSync(configPath, configText);

  const nginx = spawn(NGINX_BIN, ['-p', `${prefixDir}/`, '-c', configPath, '-g', 'daemon off;'], { stdio: 'inherit' });
  process.stderr.write(`starship: nginx on http://${env.HOST || '127.0.0.1'}:${port} (config ${configPath})\n`);
  // SIGQUIT is nginx's graceful stop: in-flight requests finish.
  const stop = () => nginx.kill('SIGQUIT');
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  nginx.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  nginx.on('error', (error) => {
    process.stderr.write(`starship: cannot run ${NGINX_BIN}: ${error.message}\n`);
    process.exit(1);
  });
}

main().catch((error: unknown) => {
  process.stderr.write(`starship: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
});
