import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { Client } from 'pg';
import {
  getFreePort,
  isProcessAlive,
  postgresProcesses,
  startPrivatePostgres,
  type PrivatePostgres,
} from '../src';
import { makeTempDir, stopAfterEach, withTakenPort } from './fixtures';

async function selectOne(url: string, sql: string): Promise<Record<string, unknown>> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    const result = await client.query(sql);
    return result.rows[0] as Record<string, unknown>;
  } finally {
    await client.end();
  }
}

describe('startPrivatePostgres', () => {
  const temp = makeTempDir('testkit-pg-');
  const server = stopAfterEach<PrivatePostgres>();

  it('creates a cluster, restarts on its data, and leaves no process behind', async () => {
    const dataDir = join(temp.path(), 'data');
    const port = await getFreePort();

    let running = (server.running = await startPrivatePostgres({ dataDir, port }));
    expect(running.url).toBe(`postgres://postgres@127.0.0.1:${port}/postgres`);
    await expect(selectOne(running.url, 'SELECT 1 AS one')).resolves.toEqual({ one: 1 });
    const preload = await selectOne(running.url, 'SHOW shared_preload_libraries');
    expect(preload.shared_preload_libraries).toBe('pg_stat_statements');
    await selectOne(running.url, 'CREATE TABLE kept (id int)');

    const first = running;
    const backends = postgresProcesses(dataDir);
    expect(backends).toContain(first.pid);
    await first.stop();
    server.running = undefined;
    expect(backends.filter(isProcessAlive)).toEqual([]);
    expect(postgresProcesses(dataDir)).toEqual([]);

    running = server.running = await startPrivatePostgres({ dataDir, port });
    await expect(selectOne(running.url, "SELECT to_regclass('kept') IS NOT NULL AS kept")).resolves.toEqual({ kept: true });
  });

  it('recovers from a crash and from a postmaster.pid naming an unrelated live process', async () => {
    const dataDir = join(temp.path(), 'crash');
    const port = await getFreePort();
    const crashed = await startPrivatePostgres({ dataDir, port });
    process.kill(crashed.pid, 'SIGKILL');

    let running = (server.running = await startPrivatePostgres({ dataDir, port }));
    await expect(selectOne(running.url, 'SELECT 2 AS two')).resolves.toEqual({ two: 2 });
    await running.stop();

    // A reused PID: PostgreSQL alone would refuse to start, believing another postmaster runs.
    await writeFile(join(dataDir, 'postmaster.pid'), `${process.pid}\n${dataDir}\n`);
    running = server.running = await startPrivatePostgres({ dataDir, port });
    await expect(selectOne(running.url, 'SELECT 3 AS three')).resolves.toEqual({ three: 3 });
  });

  it('names the port when it is already taken', () =>
    withTakenPort(async (port) => {
      await expect(startPrivatePostgres({ dataDir: join(temp.path(), 'busy'), port })).rejects.toThrow(`port ${port} is already in use`);
    }));
});
