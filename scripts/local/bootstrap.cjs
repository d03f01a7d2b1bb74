#!/usr/bin/env node
'use strict';
/*
 * The root `start` script. On a fresh Debian machine with only Node and npm there is no tsx yet, so
 * this plain-Node step comes first: system packages (scripts/ensure-system-deps.sh: pnpm, and as root
 * postgresql and nginx-light via apt-get, otherwise a one-line message naming them), then
 * `pnpm install --frozen-lockfile` when the lockfile changed since the last install, then scripts/start.ts
 * in this same process (no wrapper process between a Ctrl-C and the runner).
 */
const { execFileSync } = require('node:child_process');
const { existsSync, statSync } = require('node:fs');
const { join, resolve } = require('node:path');

const repo = resolve(__dirname, '../..');

function run(file, args) {
  execFileSync(file, args, { cwd: repo, stdio: 'inherit' });
}

/** Like make: install when there is no install yet, or the lockfile changed after the last one. */
function installNeeded() {
  const marker = join(repo, 'node_modules/.pnpm/lock.yaml');
  if (!existsSync(marker) || !existsSync(join(repo, 'node_modules/tsx'))) return true;
  return statSync(join(repo, 'pnpm-lock.yaml')).mtimeMs > statSync(marker).mtimeMs;
}

try {
  // WEBCHAT_SKIP_SETUP=1: the caller has done both already (scripts/test.sh, the start-command test).
  const skip = process.env.WEBCHAT_SKIP_SETUP === '1';
  if (!skip) run('bash', [join(repo, 'scripts/ensure-system-deps.sh')]);
  if (!skip && installNeeded()) {
    process.stdout.write('webchat: installing dependencies (pnpm install --frozen-lockfile)\n');
    run('pnpm', ['install', '--frozen-lockfile']);
  }
} catch (error) {
  process.stderr.write(`webchat: cannot start: ${error && error.message ? error.message.split('\n')[0] : String(error)}\n`);
  process.exit(1);
}

require('tsx/cjs/api').register();
require('../start.ts');
