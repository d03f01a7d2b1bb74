import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { WEBCHAT_TOKEN_PATH } from '@webchat/contracts';
import { publicKeyFile, SERVICE_NAMES } from '@webchat/service-auth';
import { runCli } from '@webchat/orchestrator/src/cli/webchat-admin';
import { browserHeaders, call, removeOwnClusters, startOrchestratorProcess, startOwnCluster, startSystem, type SystemUnderTest } from '@webchat/test-harness';

const mintAt = (baseUrl: string, deploymentKey: string) => call(`${baseUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: browserHeaders() });

describe('account configuration cache', () => {
  let system: SystemUnderTest;
  beforeAll(async () => {
    system = await startSystem({ accountCache: true });
  });
  afterAll(() => system.stop());

  test('a warm token request makes no Postgres query; the first one makes one', async () => {
    const { deploymentKey } = await system.createAccount();
    let before = system.db.stats.queries;
    expect((await mintAt(system.orchestratorUrl, deploymentKey)).status).toBe(200);
    expect(system.db.stats.queries - before).toBe(1);
    before = system.db.stats.queries;
    for (let i = 0; i < 5; i++) expect((await mintAt(system.orchestratorUrl, deploymentKey)).status).toBe(200);
    expect(system.db.stats.queries - before).toBe(0);
  });

  test('a changed allowed-origin list takes effect on the next request', async () => {
    const { deploymentKey, accountSid } = await system.createAccount({ allowedOrigins: ['https://old.example.com'] });
    const from = (origin: string) => call(`${system.orchestratorUrl}${WEBCHAT_TOKEN_PATH}`, { json: { deploymentKey }, headers: { ...browserHeaders(), origin } });
    expect((await from('https://old.example.com')).status).toBe(200);
    await system.accounts.updateConfiguration(accountSid, { allowedOrigins: ['https://new.example.com'] });
    let status = 0;
    const started = Date.now();
    while (Date.now() - started < 1000 && (status = (await from('https://old.example.com')).status) === 200) await new Promise((r) => setTimeout(r, 20));
    expect(status).toBe(403);
    expect((await from('https://new.example.com')).status).toBe(200);
  });

  test('an unknown key is cached as unknown, and issuing it later is seen at once', async () => {
    const { accountSid } = await system.createAccount();
    const key = `dk_${'Z'.repeat(32)}${Date.now().toString(36)}`.slice(0, 35);
    expect((await mintAt(system.orchestratorUrl, key)).status).toBe(403);
    const before = system.db.stats.queries;
    expect((await mintAt(system.orchestratorUrl, key)).status).toBe(403);
    expect(system.db.stats.queries).toBe(before);
    await system.accounts.issueDeploymentKey(accountSid, { key });
    let status = 0;
    const started = Date.now();
    while (Date.now() - started < 1000 && (status = (await mintAt(system.orchestratorUrl, key)).status) !== 200) await new Promise((r) => setTimeout(r, 20));
    expect(status).toBe(200);
  });
});

describe('with two orchestrator processes', () => {
  // Also when the test times out before its `finally`: the cluster of its own must not outlive the run.
  afterAll(removeOwnClusters);

  test('a key revoked with the CLI is refused by both within 1 s; after a Postgres restart no stale entry is served', async () => {
    const cluster = await startOwnCluster('orchestrator-cache-');
    const url = cluster.url;
    const system = await startSystem({ databaseUrl: url });
    const keysDir = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrator-keys-'));
    for (const name of SERVICE_NAMES) {
      fs.writeFileSync(publicKeyFile(keysDir, name), system.identities.publicKeys[name].export({ type: 'spki', format: 'pem' }));
    }
    fs.writeFileSync(path.join(keysDir, 'orchestrator.key.pem'), system.identities.privateKeys.orchestrator.export({ type: 'pkcs8', format: 'pem' }));
    const processes = await Promise.all([startOrchestratorProcess(system, url, keysDir), startOrchestratorProcess(system, url, keysDir)]);
    try {
      const first = await system.createAccount();
      for (const p of processes) for (let i = 0; i < 2; i++) expect((await mintAt(p.url, first.deploymentKey)).status).toBe(200);

      const out: string[] = [];
      const sink = { write: (s: string) => out.push(s) };
      expect(await runCli(['keys', 'revoke', first.keyId], { databaseUrl: url, stdout: sink, stderr: sink })).toBe(0);
      const revokedAt = Date.now();
      for (const p of processes) {
        let status = 200;
        while (Date.now() - revokedAt < 1000 && (status = (await mintAt(p.url, first.deploymentKey)).status) === 200) await new Promise((r) => setTimeout(r, 20));
        expect(status).toBe(403);
      }

      // Postgres restarts: both caches are dropped while the feed is down, and nothing stale comes back.
      const second = await system.createAccount();
      for (const p of processes) expect((await mintAt(p.url, second.deploymentKey)).status).toBe(200);
      await cluster.stop();
      expect((await mintAt(processes[0]!.url, second.deploymentKey)).status).toBe(503);
      await cluster.restart();
      // Revoked while the listeners may still be reconnecting: no notification reaches them for this change.
      await system.accounts.revokeDeploymentKey(second.keyId);
      for (const p of processes) {
        let status = 0;
        const started = Date.now();
        while (Date.now() - started < 5000 && ![200, 403].includes((status = (await mintAt(p.url, second.deploymentKey)).status))) {
          await new Promise((r) => setTimeout(r, 50));
        }
        expect(status).toBe(403);
      }
    } finally {
      await Promise.all(processes.map((p) => p.stop()));
      await system.stop();
      await cluster.remove();
      fs.rmSync(keysDir, { recursive: true, force: true });
    }
  }, 90_000);
});
