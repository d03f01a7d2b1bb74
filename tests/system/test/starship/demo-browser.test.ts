import { chromium, type Browser } from 'playwright-core';
import { getFreePort } from '@webchat/testkit';
import { startSystem, type SystemUnderTest } from '@webchat/test-harness';
import { startEdge, type EdgeUnderTest } from '@webchat/test-harness';

/*
 * The demo page in a real browser, through real nginx and the real services: the CORS story of the
 * diagram as a browser enforces it. The widget bundle is not there, so the page uses its own form.
 */

const CHROMIUM = process.env.CHROMIUM_BIN ?? '/usr/bin/chromium';

describe('the demo page in Chromium', () => {
  let system: SystemUnderTest;
  let edge: EdgeUnderTest;
  let browser: Browser;

  beforeAll(async () => {
    system = await startSystem();
    system.setSecurityFlag(true);
    // The page's port must be known before the account's allowed origin can name it.
    const demoPorts = [await getFreePort(), await getFreePort()];
    const { deploymentKey } = await system.createAccount({ allowedOrigins: [`http://localhost:${demoPorts[0]}`], fingerprintSensitivity: 'high' });
    edge = await startEdge({ orchestratorUpstream: new URL(system.orchestratorUrl).host, demoPorts, demoKey: deploymentKey });
    // Root cannot use Chromium's sandbox; the page is our own.
    browser = await chromium.launch({ executablePath: CHROMIUM, args: process.getuid?.() === 0 ? ['--no-sandbox'] : [] });
  }, 60_000);

  afterAll(async () => {
    await browser?.close();
    await edge?.stop();
    await system?.stop();
  });

  /** Runs in the page: the status line shows a new outcome. */
  const outcomeAfter = (before: string) => {
    const text = document.getElementById('result-status')?.textContent ?? '';
    return text !== before && /HTTP|blocked/.test(text);
  };

  /** Clicks "Get a token" and, when asked and possible, "Create the conversation"; returns what the page shows. */
  async function usePage(port: number, createConversation = false): Promise<Array<{ status: string; result: string }>> {
    const page = await browser.newPage();
    const shown = async () => ({ status: (await page.textContent('#result-status')) ?? '', result: (await page.textContent('#result')) ?? '' });
    try {
      await page.goto(`http://localhost:${port}/`);
      await page.waitForSelector('#fallback:not([hidden])');
      await page.click('#get-token');
      await page.waitForFunction(outcomeAfter, '');
      const steps = [await shown()];
      if (createConversation && (await page.isEnabled('#start-chat'))) {
        const before = steps[0]?.status ?? '';
        await page.click('#start-chat');
        await page.waitForFunction(outcomeAfter, before);
        steps.push(await shown());
      }
      return steps;
    } finally {
      await page.close();
    }
  }

  it('on the allowed origin, the page gets a token through Starship (security signals included) and creates the conversation', async () => {
    const [token, conversation] = await usePage(edge.demoPorts[0] as number, true);
    expect(token?.status).toMatch(/^Token: HTTP 200 \(request [0-9a-f]{32}\)$/);
    expect(JSON.parse(token?.result ?? '')).toMatchObject({ identity: expect.any(String), expiresAt: expect.any(String) });
    // And the token works for the next call of the diagram, /v2/WebChannels, through Starship.
    expect(conversation?.status).toMatch(/^Conversation: HTTP 201/);
    expect(JSON.parse(conversation?.result ?? '')).toMatchObject({ conversationSid: expect.stringMatching(/^CH/), welcomeMessage: expect.any(String) });
  });

  it('on a not-allowed origin, the browser refuses to hand the answer to the page', async () => {
    const before = await system.federatedTokenCalls();
    const [token] = await usePage(edge.demoPorts[1] as number);
    expect(token?.status).toMatch(/^The browser blocked the response/);
    expect(await system.federatedTokenCalls()).toBe(before);
  });
});
