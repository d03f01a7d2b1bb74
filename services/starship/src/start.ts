/**
 * `pnpm --filter @webchat/starship start`: Starship alone, in front of an orchestrator that is already
 * running (the whole system: `pnpm start` at the root). Renders the container flavour of the config
 * (no demo site) into a prefix folder and runs nginx in the foreground; SIGTERM/SIGINT stop it gracefully.
 * Settings: config.ts (PORT, HOST, ORCHESTRATOR_UPSTREAM, STARSHIP_*, NGINX_BIN).
 */
import { spawn } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { loadStarshipConfig } from './config';
import { prepareStarshipPrefix, renderStarshipConfig } from './render';

function main(): void {
  const { nginxBin, prefixDir, render } = loadStarshipConfig();
  const configText = renderStarshipConfig(render);
  prepareStarshipPrefix(prefixDir);
  const configPath = join(prefixDir, 'nginx.conf');
  writeFileSync(configPath, configText);

  // nginx names a taken port itself ("bind() ... Address already in use") and exits non-zero.
  const nginx = spawn(nginxBin, ['-p', `${prefixDir}/`, '-c', configPath, '-g', 'daemon off;'], { stdio: 'inherit' });
  process.stderr.write(`starship: nginx on http://${render.listenHost ?? '127.0.0.1'}:${render.listenPort} (config ${configPath})\n`);
  // SIGQUIT is nginx's graceful stop: in-flight requests finish.
  const stop = () => nginx.kill('SIGQUIT');
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
  nginx.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  nginx.on('error', (error) => {
    process.stderr.write(`starship: cannot run ${nginxBin}: ${error.message}\n`);
    process.exit(1);
  });
}

try {
  main();
} catch (error: unknown) {
  process.stderr.write(`starship: ${error instanceof Error ? error.message : String(error)}\n`);
  process.exit(1);
}
