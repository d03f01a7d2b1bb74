import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { transformSync } from '@swc/core';
import { defaultDevSecretsDir, ensureDevSecret, findRepoRoot, readSecretValue } from '../src';

const repoRoot = path.resolve(__dirname, '../../..');

let dir: string;
beforeEach(() => {
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'dev-secrets-'));
});
afterEach(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('ensureDevSecret', () => {
  it('creates the secret once, readable only by its owner, and returns the same value next time', () => {
    const generate = jest.fn(() => 'first-value');
    expect(ensureDevSecret(dir, 'hmac', generate)).toBe('first-value');
    expect(fs.statSync(path.join(dir, 'hmac')).mode & 0o777).toBe(0o600);

    const again = jest.fn(() => 'second-value');
    expect(ensureDevSecret(dir, 'hmac', again)).toBe('first-value');
    expect(generate).toHaveBeenCalledTimes(1);
    expect(again).not.toHaveBeenCalled();
  });

  it('creates a missing folder and leaves no temporary files behind', () => {
    const nested = path.join(dir, 'a', 'b');
    ensureDevSecret(nested, 'key', () => 'v');
    expect(fs.readdirSync(nested)).toEqual(['key']);
  });

  it('when another caller creates it while this one is generating, then both end up with the winner\'s value', () => {
    // The inner call runs between the outer call's existence check and its write: the race, made deterministic.
    let inner: string | undefined;
    const outer = ensureDevSecret(dir, 'shared', () => {
      inner = ensureDevSecret(dir, 'shared', () => 'winner');
      return 'loser';
    });
    expect(inner).toBe('winner');
    expect(outer).toBe('winner');
    expect(fs.readFileSync(path.join(dir, 'shared'), 'utf8')).toBe('winner');
    expect(fs.readdirSync(dir)).toEqual(['shared']);
  });

  it('when several processes start together, then they all agree on one value', async () => {
    // Plain node children (fast to start) running the module compiled by swc, as jest runs it.
    const compiled = path.join(dir, 'dev-secrets.cjs');
    const source = fs.readFileSync(path.join(__dirname, '../src/dev-secrets.ts'), 'utf8');
    fs.writeFileSync(compiled, transformSync(source, { filename: 'dev-secrets.ts', module: { type: 'commonjs' } }).code);
    const secrets = path.join(dir, 'secrets');
    // Each child says "ready", blocks until the parent says "go", then generates slowly: all pass the existence check.
    const script = `
      const { ensureDevSecret } = require(${JSON.stringify(compiled)});
      process.stdout.write('ready\\n');
      require('fs').readSync(0, Buffer.alloc(3));
      const value = ensureDevSecret(${JSON.stringify(secrets)}, 'raced', () => {
        const until = Date.now() + 100; while (Date.now() < until) {}
        return 'value-from-' + process.pid;
      });
      process.stdout.write(value);
    `;
    const children = Array.from({ length: 4 }, () => {
      const child = spawn(process.execPath, ['-e', script], { stdio: ['pipe', 'pipe', 'inherit'] });
      let out = '';
      const ready = new Promise<void>((resolve) => {
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          if (out.startsWith('ready\n')) resolve();
        });
      });
      const done = new Promise<string>((resolve, reject) =>
        child.on('close', (code) => (code === 0 ? resolve(out.slice('ready\n'.length)) : reject(new Error(`child exited ${code}`)))),
      );
      return { child, ready, done };
    });
    await Promise.all(children.map((c) => c.ready));
    for (const { child } of children) child.stdin.end('go\n');
    const values = await Promise.all(children.map((c) => c.done));
    const stored = fs.readFileSync(path.join(secrets, 'raced'), 'utf8');
    expect(stored).toMatch(/^value-from-\d+$/);
    expect(values).toEqual([stored, stored, stored, stored]);
    expect(fs.readdirSync(secrets)).toEqual(['raced']);
  });
});

describe('readSecretValue', () => {
  it('returns an inline value as given', () => {
    expect(readSecretValue('inline-secret ')).toBe('inline-secret ');
  });

  it('reads @/path from the file (a mounted Kubernetes Secret), without the trailing newline', () => {
    const file = path.join(dir, 'mounted');
    fs.writeFileSync(file, 'from-file\n');
    expect(readSecretValue(`@${file}`)).toBe('from-file');
  });
});

describe('defaultDevSecretsDir', () => {
  it('is .dev-secrets at the repository root, whatever the working folder', () => {
    expect(findRepoRoot(__dirname)).toBe(repoRoot);
    expect(defaultDevSecretsDir()).toBe(path.join(repoRoot, '.dev-secrets'));
  });
});
