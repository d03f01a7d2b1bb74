/*
 * Agents answer, live, end to end: Debian Chromium runs the guest's widget on the demo site and the agent's desk
 * at /desk/, both through the real Starship, in front of TWO orchestrator processes on one Postgres. Starship
 * sends event streams to orchestrator A (B only as a backup) and every other call to B (A as a backup), so the
 * guest's stream is held by one process while the agent posts through the other.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import { REPO_ROOT, getFreePort, waitForHttp } from '@webchat/testkit';
import type { SystemUnderTest } from '@webchat/test-harness';
import { ARTIFACTS, startBrowserStack, type BrowserStack } from './support/browser-stack';

const ORCHESTRATOR_DIR = join(REPO_ROOT, 'services/orchestrator');

jest.setTimeout(90_000);

interface OrchestratorProcess {
  port: number;
  child: ChildProcess;
  stderr: () => string;
}

let stack: BrowserStack;
let starshipUrl: string;
let allowedSite: string;
let agentKey: string;
let orchestrators: { a: OrchestratorProcess; b: OrchestratorProcess };

async function startOrchestrator(system: SystemUnderTest, keysDir: string): Promise<OrchestratorProcess> {
  const port = await getFreePort();
  const child = spawn(process.execPath, ['--import', 'tsx', join('src', 'start.ts')], {
    cwd: ORCHESTRATOR_DIR,
    env: {
      PATH: process.env.PATH ?? '',
      NODE_ENV: 'development',
      PORT: String(port),
      LOG_LEVEL: 'warn',
      DATABASE_URL: system.databaseUrl,
      FEDERATED_AUTH_URL: system.federatedAuthUrl,
      SCOPED_AUTH_URL: system.scopedAuth.url,
      SERVICE_AUTH_PRIVATE_KEY: `@${join(keysDir, 'orchestrator.key.pem')}`,
      // Both replicas must compute the same fingerprints.
      FINGERPRINT_SECRET: 'f'.repeat(40),
      STREAM_RETRY_MS: '300',
    },
    stdio: ['ignore', 'ignore', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
  await waitForHttp(`http://127.0.0.1:${port}/readyz`, { timeoutMs: 60_000, abortIf: () => (child.exitCode !== null ? new Error(`orchestrator exited: ${stderr}`) : undefined) });
  return { port, child, stderr: () => stderr };
}

beforeAll(async () => {
  stack = await startBrowserStack({
    account: (site) => ({ allowedOrigins: [site], fingerprintSensitivity: 'medium', welcomeMessage: 'Welcome to Acme! An agent will be with you shortly.' }),
    async upstreams(system, workDir) {
      const keysDir = join(workDir, 'keys');
      mkdirSync(keysDir);
      writeFileSync(join(keysDir, 'orchestrator.key.pem'), system.identities.privateKeys.orchestrator.export({ type: 'pkcs8', format: 'pem' }));
      const [a, b] = await Promise.all([startOrchestrator(system, keysDir), startOrchestrator(system, keysDir)]);
      orchestrators = { a, b };
      return {
        orchestratorUpstream: `127.0.0.1:${b.port},backup=127.0.0.1:${a.port}`,
        streamUpstream: `127.0.0.1:${a.port},backup=127.0.0.1:${b.port}`,
        stop() {
          for (const p of [a, b]) if (p.child.exitCode === null && p.child.signalCode === null) p.child.kill('SIGTERM');
        },
      };
    },
  });
  ({ starshipUrl, allowedSite } = stack);
  agentKey = (await stack.system.addAgent(stack.account.accountSid, 'Ada')).key;
});

afterAll(() => stack?.stop());

const newPage = (): Promise<Page> => stack.newPage();

const widget = (page: Page) => page.locator('[data-webchat-widget]');
const transcript = (page: Page) => widget(page).getByRole('log', { name: 'Conversation' });
const agentBubbles = (page: Page) => transcript(page).locator('li[data-author="agent"]');

async function guestStartsChat(page: Page, question: string): Promise<void> {
  await page.goto(`${allowedSite}/`);
  await widget(page).locator('.wc-launcher').click();
  await widget(page).getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await widget(page).getByLabel('Email', { exact: true }).fill('grace@example.com');
  await widget(page).getByLabel('How can we help?').fill(question);
  await widget(page).getByLabel('How can we help?').press('Enter');
  await transcript(page).getByText(question).waitFor();
}

async function agentSignsIn(page: Page): Promise<void> {
  await page.goto(`${starshipUrl}/desk/`);
  await page.getByLabel(/Agent key/).fill(agentKey);
  await page.getByLabel(/Agent key/).press('Enter');
  await page.locator('#connection', { hasText: 'Live' }).waitFor();
}

async function conversationSidOf(page: Page): Promise<string> {
  const text = await page.evaluate(() => Object.entries(window.localStorage).find(([key]) => key.startsWith('webchat-session:'))?.[1] ?? '{}');
  return (JSON.parse(text) as { conversationSid: string }).conversationSid;
}

const postAsAgent = (conversationSid: string, body: string) =>
  fetch(`${starshipUrl}/v2/Conversations/${conversationSid}/Messages`, {
    method: 'POST',
    headers: { authorization: `Bearer ${agentKey}`, 'content-type': 'application/json' },
    body: JSON.stringify({ body }),
  });

describe('a guest and an agent chat live through Starship and two orchestrators', () => {
  let guest: Page;
  let desk: Page;
  let conversationSid: string;

  test("the guest's message appears in the desk and the agent's reply in the widget, without a reload; unread badge while the panel is closed", async () => {
    desk = await newPage();
    await agentSignsIn(desk);
    guest = await newPage();
    await guestStartsChat(guest, 'Hello, anyone there?');
    conversationSid = await conversationSidOf(guest);

    // The desk's list updates live with the new conversation and its unread count.
    const item = desk.locator(`#conversations button[data-sid="${conversationSid}"]`);
    await item.waitFor();
    await item.locator('.unread').waitFor();
    await item.click();
    // Opening a conversation reads it: its unread badge goes at once.
    await expect(item.locator('.unread').count()).resolves.toBe(0);
    // What the guest typed in the form, under readable labels (the friendly name only when it adds something).
    await desk.locator('#details dt', { hasText: 'Email' }).waitFor();
    const details = await desk.locator('#details').textContent();
    expect(details).toContain('grace@example.com');
    expect(details).not.toContain('friendlyName');
    await desk.locator('#transcript li.guest', { hasText: 'Hello, anyone there?' }).waitFor();

    // A further guest message reaches the open conversation in the desk live.
    const composer = widget(guest).getByLabel('Message', { exact: true });
    await composer.fill('I need help with my order');
    await composer.press('Enter');
    await desk.locator('#transcript li.guest', { hasText: 'I need help with my order' }).waitFor();

    await desk.getByLabel('Reply').fill('Hi Grace, Ada here. What is the order number?');
    await desk.getByLabel('Reply').press('Enter');
    await agentBubbles(guest).filter({ hasText: 'What is the order number?' }).waitFor();
    await expect(agentBubbles(guest).first().locator('.wc-msg-meta').textContent()).resolves.toContain('Ada');
    await desk.locator('#transcript li.agent', { hasText: 'What is the order number?' }).waitFor();
    // The list follows live too: the latest message is the preview, and the open conversation shows no badge.
    await item.locator('.preview', { hasText: 'What is the order number?' }).waitFor();
    await expect(item.locator('.unread').count()).resolves.toBe(0);
    await guest.screenshot({ path: join(ARTIFACTS, 'live-widget-agent-reply.png') });
    await desk.screenshot({ path: join(ARTIFACTS, 'live-desk.png') });

    // Panel closed: the next reply shows a badge on the launcher and is announced in the live region.
    await widget(guest).locator('.wc-close').click();
    expect((await postAsAgent(conversationSid, 'Are you still there?')).status).toBe(201);
    await widget(guest).locator('.wc-badge', { hasText: '1' }).waitFor();
    await expect(widget(guest).locator('[role="status"][aria-live="polite"]').first().textContent()).resolves.toContain('Are you still there?');
    await widget(guest).locator('.wc-launcher').click();
    await expect(widget(guest).locator('.wc-badge').isHidden()).resolves.toBe(true);
  });

  test('when the orchestrator holding the guest stream is SIGKILLed while the agent sends three messages, the widget shows all three, in order, once', async () => {
    expect((await postAsAgent(conversationSid, 'First of three')).status).toBe(201);
    await agentBubbles(guest).filter({ hasText: 'First of three' }).waitFor();
    orchestrators.a.child.kill('SIGKILL');
    expect((await postAsAgent(conversationSid, 'Second of three')).status).toBe(201);
    expect((await postAsAgent(conversationSid, 'Third of three')).status).toBe(201);
    await agentBubbles(guest).filter({ hasText: 'Third of three' }).waitFor({ timeout: 20_000 });
    const bodies = await agentBubbles(guest).evaluateAll((items) => items.map((li) => li.firstChild?.textContent ?? ''));
    const ofThree = bodies.filter((body) => body.endsWith('of three'));
    expect(ofThree).toEqual(['First of three', 'Second of three', 'Third of three']);
    // Nothing shown twice, none of the earlier replies either.
    expect(new Set(bodies).size).toBe(bodies.length);
    await guest.screenshot({ path: join(ARTIFACTS, 'live-widget-after-failover.png') });
  });

  test('when the agent closes the conversation in the desk, the widget says so live and offers a new one', async () => {
    await desk.locator('#connection', { hasText: 'Live' }).waitFor({ timeout: 20_000 });
    await desk.getByRole('button', { name: 'Close conversation' }).click();
    await widget(guest).getByText('This conversation has ended.').first().waitFor();
    await expect(widget(guest).locator('.wc-composer').isHidden()).resolves.toBe(true);
    // The last message stays in view above the notice (the transcript scrolled to its end).
    const last = await widget(guest).locator('.wc-msg').last().boundingBox();
    const body = await widget(guest).locator('.wc-chat .wc-body').boundingBox();
    expect(last!.y + last!.height).toBeLessThanOrEqual(body!.y + body!.height + 1);
    await guest.screenshot({ path: join(ARTIFACTS, 'live-widget-ended.png') });
    await widget(guest).getByRole('button', { name: 'Start a new conversation' }).click();
    await widget(guest).getByLabel('How can we help?').waitFor();
  });
});
