import { mkdirSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { WEBCHAT_SECURITY_FLAG } from '@webchat/orchestrator/src/domain/feature-flags';

/**
 * The benchmark's own offline flags file (LAUNCHDARKLY_FLAGS_FILE): a full LaunchDarkly flag rather
 * than the repo's `flagValues` shortcut, so one orchestrator serves both branches of the diagram.
 * `webchat-security` is on for every account (as in services/orchestrator/flags/webchat-flags.json)
 * except the accounts in `offFor`, targeted off by their `account` context key.
 */
export function writeFlagsFile(file: string, { offFor }: { offFor: string[] }): string {
  const flag = {
    key: WEBCHAT_SECURITY_FLAG,
    version: 1,
    on: true,
    variations: [true, false],
    offVariation: 1,
    fallthrough: { variation: 0 },
    targets: [],
    contextTargets: [{ contextKind: 'account', values: offFor, variation: 1 }],
    rules: [],
    prerequisites: [],
    salt: 'webchat-benchmark',
    clientSide: false,
  };
  mkdirSync(dirname(file), { recursive: true });
  writeFileSync(file, `${JSON.stringify({ flags: { [WEBCHAT_SECURITY_FLAG]: flag } }, null, 2)}\n`);
  return file;
}
