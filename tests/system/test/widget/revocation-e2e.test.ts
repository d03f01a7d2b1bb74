/*
 * Revocation reaches what a person has open (issue 12): Debian Chromium runs the guest's widget on the demo site
 * and the agent's desk at /desk/, through the real Starship. When the deployment key that minted the guest's
 * token is revoked, or the agent is removed, the open stream ends with a final `revoked` event and the page
 * leaves the live state at once: no reconnect with the dead token or key.
 */
import type { Page } from 'playwright-core';
import { join } from 'node:path';
import { ARTIFACTS, startBrowserStack, type BrowserStack } from './support/browser-stack';

jest.setTimeout(90_000);

let stack: BrowserStack;

beforeAll(async () => {
  stack = await startBrowserStack();
});

afterAll(() => stack?.stop());

const widget = (page: Page) => page.locator('[data-webchat-widget]');

/** Counts the page's requests for a live stream from now on. */
function streamRequests(page: Page): { count: number } {
  const seen = { count: 0 };
  page.on('request', (request) => {
    if (request.url().endsWith('/Events')) seen.count += 1;
  });
  return seen;
}

test('when the agent is removed while the desk is live, then the desk, told by its stream, signs out within a second and does not reconnect with the key', async () => {
  const agent = await stack.system.addAgent(stack.account.accountSid, 'Ada');
  const desk = await stack.newPage();
  await desk.goto(`${stack.starshipUrl}/desk/`);
  await desk.getByLabel(/Agent key/).fill(agent.key);
  await desk.getByLabel(/Agent key/).press('Enter');
  await desk.locator('#connection', { hasText: 'Live' }).waitFor();
  // The desk re-reads its list 150 ms after going live: once that is done, only the stream can notice the removal.
  await new Promise((r) => setTimeout(r, 500));
  const after = streamRequests(desk);

  await stack.system.agents.removeAgent(agent.agentSid);
  await desk.getByText('That key is not valid (or was removed).').waitFor({ timeout: 1000 });
  await new Promise((r) => setTimeout(r, 1500));
  expect(after.count).toBe(0);
  await desk.screenshot({ path: join(ARTIFACTS, 'revoked-desk.png') });
});

test("when the deployment key that minted the guest's token is revoked while the widget is live, then the widget ends the session within 2 s and does not reconnect with the token", async () => {
  const guest = await stack.newPage();
  await guest.goto(`${stack.allowedSite}/`);
  await widget(guest).locator('.wc-launcher').click();
  await widget(guest).getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await widget(guest).getByLabel('Email', { exact: true }).fill('grace@example.com');
  await widget(guest).getByLabel('How can we help?').fill('Is anyone there?');
  const live = guest.waitForResponse((response) => response.url().endsWith('/Events') && response.status() === 200);
  await widget(guest).getByLabel('How can we help?').press('Enter');
  await widget(guest).getByRole('log', { name: 'Conversation' }).getByText('Is anyone there?').waitFor();
  await live;
  const after = streamRequests(guest);

  await stack.system.accounts.revokeDeploymentKey(stack.account.keyId);
  await widget(guest).getByText('Your previous chat has ended.', { exact: false }).waitFor({ timeout: 2000 });
  await new Promise((r) => setTimeout(r, 1500));
  expect(after.count).toBe(0);
  await guest.screenshot({ path: join(ARTIFACTS, 'revoked-widget.png') });
});
