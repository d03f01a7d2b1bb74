/*
 * The left half of the diagram for real: Debian Chromium (driven by playwright-core) opens the demo
 * page, served by the real Starship nginx on two origins, with the real widget bundle from /assets/,
 * talking through Starship to the real orchestrator, federated-auth, scoped-auth and Postgres.
 */
import { join } from 'node:path';
import type { Page } from 'playwright-core';
import type { SystemUnderTest } from '@webchat/test-harness';
import { expectAccessible } from './support/axe';
import { ARTIFACTS, startBrowserStack, type BrowserStack } from './support/browser-stack';
import { storageKey } from '@webchat/widget/src/constants';
import type { StoredSession } from '@webchat/widget/src/storage';

const WELCOME = 'Welcome to Acme Outdoor! A member of our team will be with you shortly.';
const OTHER_USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';

const GUEST_MESSAGE_LIMIT = 5;

// Generous: on a shared, loaded machine one browser test can take a minute; the limit only guards against hangs.
jest.setTimeout(150_000);

let stack: BrowserStack;
let system: SystemUnderTest;
let account: { accountSid: string; deploymentKey: string };
let starshipUrl: string;
let allowedSite: string;

beforeAll(async () => {
  stack = await startBrowserStack({
    // A small message limit, so a guest can reach it by typing (production: 30 a minute).
    system: { guestMessageLimit: { messages: GUEST_MESSAGE_LIMIT, windowSeconds: 60 } },
    account: (site) => ({ allowedOrigins: [site], fingerprintSensitivity: 'medium', welcomeMessage: WELCOME }),
  });
  expect(stack.manifest.file).toBe('webchat.js');
  ({ system, account, starshipUrl, allowedSite } = stack);
  system.setSecurityFlag(true);
});

afterAll(async () => {
  await stack?.stop();
});

const newPage = (options: { userAgent?: string; init?: (page: Page) => Promise<unknown> } = {}): Promise<Page> =>
  stack.newPage({ ...(options.userAgent ? { userAgent: options.userAgent } : {}), ...(options.init ? { init: options.init } : {}) });

const widget = (page: Page) => page.locator('[data-webchat-widget]');
const launcher = (page: Page) => widget(page).locator('.wc-launcher');
const transcript = (page: Page) => widget(page).getByRole('log', { name: 'Conversation' });
const status = (page: Page) => widget(page).locator('.wc-status');

async function stored(page: Page): Promise<StoredSession | null> {
  const text = await page.evaluate((key) => window.localStorage.getItem(key), storageKey(account.deploymentKey));
  return text === null ? null : (JSON.parse(text) as StoredSession);
}

async function conversationCount(): Promise<number> {
  const { rows } = await system.db.query<{ n: number }>('SELECT count(*)::int AS n FROM conversations WHERE account_sid = $1', [account.accountSid]);
  return rows[0]?.n ?? 0;
}

/** Open the launcher, fill the pre-engagement form with the keyboard and submit it with Enter. */
async function startChat(page: Page, question = 'Do you ship tents to Norway?'): Promise<void> {
  await launcher(page).click();
  const name = widget(page).getByLabel('Name', { exact: true });
  await name.waitFor();
  await expectFocused(page, 'wc-name');
  await page.keyboard.type('Ada Lovelace');
  await widget(page).getByLabel('Email', { exact: true }).fill('ada@example.com');
  await widget(page).getByLabel('How can we help?').fill(question);
  await widget(page).getByLabel('How can we help?').press('Enter');
}

async function expectFocused(page: Page, id: string): Promise<void> {
  await page.waitForFunction((want) => document.querySelector('[data-webchat-widget]')?.shadowRoot?.activeElement?.id === want, id, { timeout: 5000 });
}

test('on the allowed site: launcher, form, welcome; token, identity and conversation SID stored; Postgres holds the conversation; reload resumes with history', async () => {
  const page = await newPage();
  await page.goto(`${allowedSite}/`);
  await launcher(page).waitFor();
  await expectAccessible(page, 'launcher (default theme)');
  await launcher(page).click();
  // The form checks itself before anything is sent, and says what is wrong next to each field.
  await widget(page).getByRole('button', { name: 'Start chat' }).click();
  await expect(widget(page).locator('#wc-name-error').textContent()).resolves.toBe('Enter your name.');
  await expectAccessible(page, 'form with errors (default theme)');
  await expectFocused(page, 'wc-name');
  await widget(page).getByLabel('Email', { exact: true }).fill('not-an-email');
  await widget(page).getByRole('button', { name: 'Start chat' }).click();
  await expect(widget(page).locator('#wc-email-error').textContent()).resolves.toContain('name@example.com');
  await page.screenshot({ path: join(ARTIFACTS, 'widget-form.png') });
  // Escape closes the panel and gives focus back to the launcher.
  await page.keyboard.press('Escape');
  await expect(widget(page).locator('.wc-panel').isHidden()).resolves.toBe(true);
  await expectFocused(page, 'wc-launcher');

  await startChat(page);
  await transcript(page).getByText(WELCOME).waitFor();
  await transcript(page).getByText('Do you ship tents to Norway?').waitFor();
  await expectFocused(page, 'wc-message');

  const session = await stored(page);
  expect(session).toEqual({
    token: expect.stringMatching(/^[\w-]+(\.[\w-]*){4}$/),
    identity: expect.stringMatching(/^[0-9a-f-]{36}$/),
    conversationSid: expect.stringMatching(/^CH[0-9a-f]{32}$/),
    expiresAt: expect.any(String),
    loginTimestamp: expect.any(Number),
  });
  const { rows } = await system.db.query('SELECT account_sid, identity::text AS identity, customer_friendly_name FROM conversations WHERE sid = $1', [
    session?.conversationSid,
  ]);
  expect(rows).toEqual([{ account_sid: account.accountSid, identity: session?.identity, customer_friendly_name: 'Ada Lovelace' }]);

  const composer = widget(page).getByLabel('Message', { exact: true });
  await composer.fill('My order number is 1234');
  await composer.press('Enter');
  await transcript(page).getByText('My order number is 1234').waitFor();
  await page.screenshot({ path: join(ARTIFACTS, 'widget-open.png') });
  await expectAccessible(page, 'transcript (default theme)');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.screenshot({ path: join(ARTIFACTS, 'widget-mobile-chat.png') });
  await page.setViewportSize({ width: 1100, height: 760 });

  await page.reload();
  await launcher(page).click();
  await transcript(page).getByText('My order number is 1234').waitFor();
  const bubbles = await transcript(page).locator('li').evaluateAll((items) => items.map((li) => li.getAttribute('data-author')));
  expect(bubbles).toEqual(['system', 'guest', 'guest']);
  expect(await widget(page).locator('form.wc-form').isHidden()).toBe(true);
  expect((await stored(page))?.conversationSid).toBe(session?.conversationSid);
});

// A site that is not allowed sees no chat at all: configured-widget.test.ts.

test('with the security flag on, a token copied into a browser with another User-Agent is refused on WebChannels; the form comes back, and a chat started there is a new guest (a copied token proves nothing elsewhere)', async () => {
  const original = await newPage();
  await original.goto(`${allowedSite}/`);
  const created = original.waitForRequest((request) => request.url().endsWith('/v2/WebChannels') && request.method() === 'POST');
  await startChat(original, 'Is this copy safe?');
  await transcript(original).getByText(WELCOME).waitFor();
  const securityHeaders = Object.fromEntries(Object.entries((await created).headers()).filter(([name]) => name.startsWith('x-webchat-sec-')));
  expect(Object.keys(securityHeaders).sort()).toEqual(['x-webchat-sec-decoders', 'x-webchat-sec-usersettings', 'x-webchat-sec-webchatinfo']);
  const copied = (await stored(original)) as StoredSession;

  const createWith = (page: Page) =>
    page.evaluate(
      async ({ url, token, headers }) => {
        const response = await fetch(url, { method: 'POST', headers: { ...headers, authorization: `Bearer ${token}`, 'content-type': 'application/json' }, body: '{}' });
        return { status: response.status, code: ((await response.json()) as { code?: string }).code };
      },
      { url: `${starshipUrl}/v2/WebChannels`, token: copied.token ?? '', headers: securityHeaders },
    );
  // The same token and the same widget headers work from the browser they were issued to...
  expect((await createWith(original)).status).toBe(201);

  const thief = await newPage({
    userAgent: OTHER_USER_AGENT,
    init: (page) =>
      page.addInitScript(({ key, value }) => window.localStorage.setItem(key, value), { key: storageKey(account.deploymentKey), value: JSON.stringify(copied) }),
  });
  const resumed = thief.waitForResponse((response) => response.url().endsWith(`/v2/WebChannels/${copied.conversationSid}`));
  await thief.goto(`${allowedSite}/`);
  // ...but not from another one: the widget's own resume is refused, and so is a direct call.
  const refusal = await resumed;
  expect(refusal.status()).toBe(401);
  expect(((await refusal.json()) as { code: string }).code).toBe('fingerprint_mismatch');
  expect(await createWith(thief)).toEqual({ status: 401, code: 'fingerprint_mismatch' });

  await launcher(thief).click();
  await status(thief).getByText('Your previous chat has ended').waitFor();
  expect(await widget(thief).locator('form.wc-form').isVisible()).toBe(true);
  // The ended session's token is kept as the proof of identity, with the login timestamp it was bound with.
  expect(await stored(thief)).toEqual({ previousToken: copied.token, identity: copied.identity, loginTimestamp: copied.loginTimestamp });

  // That proof fails in this browser (another fingerprint): the next chat is a new guest, never the copied one.
  const name = widget(thief).getByLabel('Name', { exact: true });
  await name.fill('Ada Lovelace');
  await widget(thief).getByLabel('Email', { exact: true }).fill('ada@example.com');
  await widget(thief).getByLabel('How can we help?').fill('Starting again');
  await widget(thief).getByRole('button', { name: 'Start chat' }).click();
  await transcript(thief).getByText('Starting again').waitFor();
  const again = await stored(thief);
  expect(again?.identity).not.toBe(copied.identity);
  expect(again?.conversationSid).not.toBe(copied.conversationSid);
});

test('the token is refreshed through /v2/Webchat/Tokens/Refresh before it expires, and the chat goes on with the new one', async () => {
  const page = await newPage();
  await page.clock.install();
  await page.goto(`${allowedSite}/`);
  await startChat(page, 'Will my session last?');
  await transcript(page).getByText(WELCOME).waitFor();
  const before = (await stored(page)) as StoredSession;

  const refreshed = page.waitForResponse((response) => response.url().endsWith('/v2/Webchat/Tokens/Refresh'));
  // The account's tokens live an hour: jump to a minute before the end.
  await page.clock.fastForward('59:10');
  expect((await refreshed).status()).toBe(200);
  await page.waitForFunction(
    ({ key, token }) => JSON.parse(window.localStorage.getItem(key) ?? '{}').token !== token,
    { key: storageKey(account.deploymentKey), token: before.token },
  );
  const after = (await stored(page)) as StoredSession;
  expect(after).toMatchObject({ identity: before.identity, conversationSid: before.conversationSid, loginTimestamp: before.loginTimestamp });

  const composer = widget(page).getByLabel('Message', { exact: true });
  await composer.fill('Still here');
  await composer.press('Enter');
  await transcript(page).getByText('Still here').waitFor();
});

test('when a guest sends more messages than the conversation accepts, the widget says how long to wait, keeps the text, and nothing extra is stored', async () => {
  const page = await newPage();
  await page.goto(`${allowedSite}/`);
  await startChat(page, 'Can I change my delivery address?');
  await transcript(page).getByText(WELCOME).waitFor();
  const composer = widget(page).getByLabel('Message', { exact: true });
  for (let i = 1; i <= GUEST_MESSAGE_LIMIT; i++) {
    await composer.fill(`message ${i}`);
    await composer.press('Enter');
    await transcript(page).getByText(`message ${i}`).waitFor();
  }

  await composer.fill('one message too many');
  await composer.press('Enter');
  const error = widget(page).locator('#wc-message-error');
  await error.waitFor({ state: 'visible' });
  // The number comes from Retry-After, which the page can read only because the orchestrator exposes it.
  await expect(error.textContent()).resolves.toMatch(/^Not sent\. That was too many in a short time\. Please wait \d+ seconds? and try again\.$/);
  await expect(composer.inputValue()).resolves.toBe('one message too many');

  const sid = (await stored(page))?.conversationSid;
  const { rows } = await system.db.query<{ body: string }>(`SELECT body FROM messages WHERE conversation_sid = $1 AND author = 'guest' ORDER BY seq`, [sid]);
  expect(rows.map((row) => row.body)).toEqual(['Can I change my delivery address?', ...Array.from({ length: GUEST_MESSAGE_LIMIT }, (_, i) => `message ${i + 1}`)]);
});
