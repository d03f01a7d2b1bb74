#!/usr/bin/env node
'use strict';
/*
 * The root `start` script. On a fresh Debian machine with only Node and npm there is no tsx yet, so
 * this plain-Node step comes first: system packages (scripts/ensure-system-deps.sh: pnpm, and as root
 * postgresql and nginx-light via apt-get, otherwise a one-line message naming them), then
 * `pnpm install --frozen-lockfile` when the lockfile changed since the last install, then scripts/start.ts
 * in this same process (no wrapper process between a Ctrl-C and the runner), on Node 24 or newer: an older
 * machine Node first gets the project-local one (scripts/ensure-node.sh) and hands over to it.
 */
const { execFileSync, spawn } = require('node:child_process');
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

/**
 * The project runs on Node 24 or newer. On an older machine Node, scripts/ensure-node.sh installs the official
 * build into .cache/ (git-ignored) and this runner starts again on it; the first process only relays SIGTERM
 * (a Ctrl-C reaches both, as one process group) and leaves with the second one's exit status.
 */
function restartOnSupportedNode() {
  const bin = execFileSync('bash', [join(repo, 'scripts/ensure-node.sh')], { cwd: repo, encoding: 'utf8', stdio: ['ignore', 'pipe', 'inherit'] }).trim();
  if (!bin) return false;
  const env = { ...process.env, PATH: `${bin}:${process.env.PATH ?? ''}` };
  const child = spawn(join(bin, 'node'), [__filename, ...process.argv.slice(2)], { cwd: process.cwd(), env, stdio: 'inherit' });
  process.on('SIGINT', () => {});
  process.on('SIGTERM', () => child.kill('SIGTERM'));
  child.on('exit', (code, signal) => process.exit(code ?? (signal ? 1 : 0)));
  return true;
}

function restarted() {
  if (Number(process.versions.node.split('.')[0]) >= SUPPORTED_NODE_MAJOR) return false;
  try {
    return restartOnSupportedNode();
  } catch (error) {
    process.stderr.write(`webchat: cannot start: no Node ${SUPPORTED_NODE_MAJOR}: ${error && error.message ? error.message.split('\n')[0] : String(error)}\n`);
    process.exit(1);
  }
}

function main() {
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
}

const SUPPORTED_NODE_MAJOR = 24;
if (!restarted()) main();
