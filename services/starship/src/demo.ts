import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';

export const DEMO_PAGE_PATH = resolve(__dirname, '../demo/index.html');
const PLACEHOLDER = '__WEBCHAT_DEMO_CONFIG__';

export interface DemoPageOptions {
  deploymentKey: string;
  /** Where the page reaches Starship, e.g. http://localhost:8080. */
  baseUrl: string;
  /** Shown on the page so a visitor knows which of the two demo origins should work. */
  allowedOrigins: string[];
}

/** JSON inside <script>: `<` is escaped so no value can close the element. */
function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** The demo page with this system's deployment key and Starship URL baked in: both are known only after seeding. */
export function renderDemoPage(options: DemoPageOptions, page = readFileSync(DEMO_PAGE_PATH, 'utf8')): string {
  const baseUrl = new URL(options.baseUrl);
  if (baseUrl.protocol !== 'http:' && baseUrl.protocol !== 'https:') throw new Error(`baseUrl must be http(s); got ${options.baseUrl}`);
  if (!page.includes(PLACEHOLDER)) throw new Error(`demo page has no ${PLACEHOLDER} placeholder`);
  const config = { deploymentKey: options.deploymentKey, baseUrl: baseUrl.origin, allowedOrigins: options.allowedOrigins };
  return page.replace(PLACEHOLDER, () => scriptJson(config));
}

/** Writes index.html into `dir` (the folder the local Starship config serves on the demo ports). */
export function writeDemoSite(dir: string, options: DemoPageOptions): string {
  mkdirSync(dir, { recursive: true });
  const file = join(dir, 'index.html');
  writeFileSync(file, renderDemoPage(options));
  return file;
}
