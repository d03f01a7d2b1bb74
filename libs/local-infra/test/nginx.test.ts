import { writeFile } from 'node:fs/promises';
import { get } from 'node:http';
import { join } from 'node:path';
import { childPids, getFreePort, isProcessAlive, nginxTest, startNginx, type NginxServer } from '../src';
import { makeTempDir, stopAfterEach, withTakenPort } from './fixtures';

/** Minimal config keeping every file nginx writes inside the prefix (we may not own /var). */
function tinyConfig(port: number, body: string): string {
  return `
worker_processes 1;
pid nginx.pid;
error_log error.log warn;
events { worker_connections 64; }
http {
  access_log off;
  client_body_temp_path tmp/client_body;
  proxy_temp_path tmp/proxy;
  fastcgi_temp_path tmp/fastcgi;
  uwsgi_temp_path tmp/uwsgi;
  scgi_temp_path tmp/scgi;
  server {
    listen 127.0.0.1:${port};
    location / { return 200 "${body}"; }
  }
}
`;
}

/** A new connection each time: a kept-alive one may still reach a worker running the old config. */
function getText(port: number): Promise<string> {
  return new Promise((resolve, reject) => {
    get({ host: '127.0.0.1', port, path: '/', agent: false }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve(body));
    }).on('error', reject);
  });
}

describe('startNginx', () => {
  const temp = makeTempDir('testkit-nginx-');
  const server = stopAfterEach<NginxServer>();

  it('serves on its port, reloads, and stops without leftovers', async () => {
    const port = await getFreePort();
    const prefixDir = join(temp.path(), 'serve');
    const running = (server.running = await startNginx({ prefixDir, configText: tinyConfig(port, 'first'), port }));
    await expect(getText(port)).resolves.toBe('first');

    await running.reload(tinyConfig(port, 'second'));
    await expect(getText(port)).resolves.toBe('second');
    await expect(running.reload('events {} this is not nginx;')).rejects.toThrow('old one stays active');
    await expect(getText(port)).resolves.toBe('second');

    const processes = [running.pid, ...childPids(running.pid)];
    expect(processes.length).toBeGreaterThan(1);
    await running.stop();
    server.running = undefined;
    expect(processes.filter(isProcessAlive)).toEqual([]);
  });

  it('reports a config that nginx rejects', async () => {
    const port = await getFreePort();
    const prefixDir = join(temp.path(), 'bad');
    await expect(startNginx({ prefixDir, configText: 'events {}\nbogus_directive on;\n', port })).rejects.toThrow(
      /exited .*bogus_directive/s,
    );
    const configFile = join(prefixDir, 'ok.conf');
    await writeFile(configFile, tinyConfig(port, 'ok'));
    await expect(nginxTest(prefixDir, 'ok.conf')).resolves.toMatchObject({ ok: true });
    await expect(nginxTest(prefixDir, 'nginx.conf')).resolves.toMatchObject({ ok: false });
  });

  it('names the port when it is already taken', () =>
    withTakenPort(async (port) => {
      await expect(
        startNginx({ prefixDir: join(temp.path(), 'busy'), configText: tinyConfig(port, 'x'), port }),
      ).rejects.toThrow(`port ${port} is already in use`);
    }));
});
