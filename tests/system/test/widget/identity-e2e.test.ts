/*
 * Issue 12 in a real browser: Debian Chromium (playwright-core) on a host page served by the real
 * Starship nginx, the real widget bundle, the real services and Postgres. Only token storage and the
 * identity proofs are exercised here; the widget's UI has its own suite.
 */
import jwt from 'jsonwebtoken';
import type { Page } from 'playwright-core';
import { storageKey } from '@webchat/widget/src/constants';
import type { StoredSession } from '@webchat/widget/src/storage';
import { startBrowserStack, type BrowserStack } from './support/browser-stack';

const OTHER_USER_AGENT = 'Mozilla/5.0 (Macintosh; Intel Mac OS X 14_5) AppleWebKit/605.1.15 (KHTML, like Gecko) Version/17.5 Safari/605.1.15';
const DAY = 86_400;

jest.setTimeout(90_000);

let stack: BrowserStack;
let system: BrowserStack['system'];
let account: BrowserStack['account'];
let site: string;
let identitySecret: string;
/** scoped-auth's clock, moved back to mint "yesterday's" tokens. */
let clockOffset = 0;

/** A host page like a customer's: the script tag, and Webchat.init with an identity token when its server made one (here: in the URL fragment). */
const hostPage = (starship: string, deploymentKey: string) => `<!doctype html>
<html lang="en"><head><title>Acme Outdoor</title></head><body><h1>Acme Outdoor</h1>
<script src="${starship}/assets/webchat.js"></script>
<script>
  var identityToken = decodeURIComponent(location.hash.slice(1));
  Webchat.init(Object.assign({ deploymentKey: ${JSON.stringify(deploymentKey)}, baseUrl: ${JSON.stringify(starship)} }, identityToken ? { identityToken: identityToken } : {}));
</script></body></html>`;

beforeAll(async () => {
  stack = await startBrowserStack({
    system: { scopedAuthNow: () => Math.floor(Date.now() / 1000) + clockOffset },
    account: (allowedSite) => ({ allowedOrigins: [allowedSite], fingerprintSensitivity: 'medium' }),
    hostPage,
  });
  ({ system, account } = stack);
  site = stack.allowedSite;
  system.setSecurityFlag(true);
  identitySecret = await system.rotateIdentitySecret(account.accountSid);
});

afterAll(() => stack?.stop());

const newPage = (userAgent?: string, locale?: string): Promise<Page> => stack.newPage({ ...(userAgent ? { userAgent } : {}), ...(locale ? { locale } : {}) });

const widget = (page: Page) => page.locator('[data-webchat-widget]');
const transcript = (page: Page) => widget(page).getByRole('log', { name: 'Conversation' });
const stored = async (page: Page): Promise<StoredSession | null> => {
  const text = await page.evaluate((key) => window.localStorage.getItem(key), storageKey(account.deploymentKey));
  return text === null ? null : (JSON.parse(text) as StoredSession);
};

test('a guest back the next day, its token long expired, keeps its identity through the previous-token proof and finds its conversation, not the form', async () => {
  const page = await newPage();
  await page.goto(`${site}/`);
  await widget(page).locator('.wc-launcher').click();
  await widget(page).getByLabel('Name', { exact: true }).fill('Grace Hopper');
  await widget(page).getByLabel('Email', { exact: true }).fill('grace@example.com');
  await widget(page).getByLabel('How can we help?').fill('Is the Yukon tent waterproof?');
  await widget(page).getByLabel('How can we help?').press('Enter');
  await transcript(page).getByText('Is the Yukon tent waterproof?').waitFor();
  const yesterday = (await stored(page)) as StoredSession;

  // The next day, for the browser and for the token service: the stored token (1 h) expired long ago.
  clockOffset = DAY;
  try {
    await page.clock.setFixedTime(new Date(Date.now() + DAY * 1000));
    await page.reload();
    await widget(page).locator('.wc-launcher').click();
    await transcript(page).getByText('Is the Yukon tent waterproof?').waitFor();
    expect(await widget(page).locator('form.wc-form').isHidden()).toBe(true);
    const today = (await stored(page)) as StoredSession;
    expect(today).toMatchObject({ identity: yesterday.identity, conversationSid: yesterday.conversationSid, loginTimestamp: yesterday.loginTimestamp });
    expect(today.token).not.toBe(yesterday.token);
    expect(Date.parse(today.expiresAt ?? '')).toBeGreaterThan(Date.parse(yesterday.expiresAt ?? '') + 12 * 3600 * 1000);
  } finally {
    clockOffset = 0;
  }
});

const signedIdentity = (sub: string, name: string, email: string) =>
  jwt.sign({ sub, name, email }, identitySecret, { algorithm: 'HS256', audience: account.accountSid, expiresIn: 600 });

test('a page that passes an identity token skips the form and shows the trusted name; the same user in another browser is the same guest', async () => {
  const identityToken = signedIdentity('customer-42', 'Ada Lovelace', 'ada@example.com');
  const page = await newPage();
  await page.goto(`${site}/#${encodeURIComponent(identityToken)}`);
  await widget(page).locator('.wc-launcher').click();
  await widget(page).locator('.wc-status').getByText('Signed in as Ada Lovelace').waitFor();
  expect(await widget(page).locator('form.wc-form').isHidden()).toBe(true);
  const session = (await stored(page)) as StoredSession;
  const { rows } = await system.db.query<{ verified_guest: unknown; customer_friendly_name: string }>(
    'SELECT verified_guest, customer_friendly_name FROM conversations WHERE sid = $1',
    [session.conversationSid],
  );
  expect(rows).toEqual([{ verified_guest: { name: 'Ada Lovelace', email: 'ada@example.com' }, customer_friendly_name: 'Ada Lovelace' }]);

  const elsewhere = await newPage(OTHER_USER_AGENT);
  await elsewhere.goto(`${site}/#${encodeURIComponent(identityToken)}`);
  await widget(elsewhere).locator('.wc-launcher').click();
  await widget(elsewhere).locator('.wc-status').getByText('Signed in as Ada Lovelace').waitFor();
  expect((await stored(elsewhere))?.identity).toBe(session.identity);
});

test('a German browser is told who it is signed in as in German', async () => {
  const page = await newPage(undefined, 'de-DE');
  await page.goto(`${site}/#${encodeURIComponent(signedIdentity('customer-77', 'Emmy Noether', 'emmy@example.com'))}`);
  await widget(page).locator('.wc-launcher').click();
  await widget(page).locator('.wc-status').getByText('Angemeldet als Emmy Noether').waitFor();
  expect(await widget(page).locator('.wc-status').textContent()).not.toContain('Signed in');
});
