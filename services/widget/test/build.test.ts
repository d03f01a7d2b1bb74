import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { runInNewContext } from 'node:vm';
import { gzipSync } from 'node:zlib';
import { buildWidget, type WidgetManifest } from '../build';

// Budgets with room to grow; a framework or zod sneaking into the bundle would blow them.
const MAX_BYTES = 48 * 1024;
const MAX_GZIP_BYTES = 16 * 1024;

let outDir: string;
let manifest: WidgetManifest;
beforeAll(async () => {
  outDir = mkdtempSync(join(tmpdir(), 'widget-build-'));
  manifest = await buildWidget({ outDir, version: '9.9.9-test' });
});
afterAll(() => rmSync(outDir, { recursive: true, force: true }));

describe('the widget build', () => {
  test('writes one bundle, a content-hashed copy of the same bytes, and a manifest that describes them', () => {
    expect(readdirSync(outDir).sort()).toEqual(['manifest.json', manifest.hashedFile, 'webchat.js'].sort());
    expect(manifest.hashedFile).toMatch(/^webchat\.[0-9a-f]{10}\.js$/);
    const code = readFileSync(join(outDir, 'webchat.js'));
    expect(readFileSync(join(outDir, manifest.hashedFile)).equals(code)).toBe(true);
    expect(JSON.parse(readFileSync(join(outDir, 'manifest.json'), 'utf8'))).toEqual(manifest);
    expect(manifest).toMatchObject({ file: 'webchat.js', version: '9.9.9-test', bytes: code.length, gzipBytes: gzipSync(code, { level: 9 }).length });
    expect(manifest.integrity).toMatch(/^sha384-[A-Za-z0-9+/]{64}$/);
  });

  // The bar is 30 KB gzipped with configuration, five languages and RTL; the budget here is tighter.
  test(`stays small: at most ${MAX_BYTES} bytes raw and ${MAX_GZIP_BYTES} gzipped (the figures are printed)`, () => {
    process.stdout.write(`widget bundle: ${manifest.bytes} bytes minified, ${manifest.gzipBytes} bytes gzipped (${(manifest.gzipBytes / 1024).toFixed(1)} KB)\n`);
    // The shared field checks come from @webchat/contracts without zod: the schema library stays server-side.
    expect(readFileSync(join(outDir, 'webchat.js'), 'utf8')).not.toMatch(/ZodError|_zod/);
    expect(manifest.bytes).toBeLessThanOrEqual(MAX_BYTES);
    expect(manifest.gzipBytes).toBeLessThanOrEqual(MAX_GZIP_BYTES);
  });

  test('is a self-contained classic script: no module syntax, no Node globals, and it defines window.Webchat', () => {
    const code = readFileSync(join(outDir, 'webchat.js'), 'utf8');
    expect(code).not.toMatch(/\brequire\(|\bprocess\.env\b|^import\s|^export\s/m);
    const sandbox: Record<string, unknown> = { URL };
    const webchat = runInNewContext(`${code};Webchat`, sandbox) as { init: (options: unknown) => unknown; version: string };
    expect(typeof webchat.init).toBe('function');
    expect(webchat.version).toBe('9.9.9-test');
    expect(() => webchat.init({ deploymentKey: 'short', baseUrl: 'https://chat.example.com' })).toThrow(/deploymentKey/);
    expect(() => webchat.init({ deploymentKey: 'dk_0123456789abcdef', baseUrl: 'not a url' })).toThrow(/baseUrl/);
  });

  test('building again with the same sources gives the same hashed name and drops no current file', async () => {
    const again = await buildWidget({ outDir, version: '9.9.9-test' });
    expect(again.hashedFile).toBe(manifest.hashedFile);
    expect(readdirSync(outDir)).toContain(again.hashedFile);
  });
});
