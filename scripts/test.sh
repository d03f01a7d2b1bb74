#!/usr/bin/env bash
# `pnpm test`: system deps, a supported Node, workspace install, type check, every jest suite, then the container
# suite (the whole system built into images and run by docker-compose on a private engine). Its exit code is
# the first failure's. Arguments go to the main jest run and skip the container suite (a targeted run);
# WEBCHAT_CONTAINERS=0 skips it too.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-system-deps.sh
# Node 24 or newer for everything below: the machine's when it is, else a project-local official build.
node_bin="$(bash scripts/ensure-node.sh)"
[ -n "$node_bin" ] && export PATH="$node_bin:$PATH"
# A no-op when node_modules matches the lockfile; fails when package.json and the lockfile disagree.
pnpm install --frozen-lockfile
pnpm exec tsc --noEmit -p tsconfig.json

status=0
if [ "$#" -gt 0 ]; then
  pnpm exec jest --ci "$@" || status=$?
  exit "$status"
fi
# The soak saturates both cores at its measured maximum and judges memory at rest: it runs alone, after the
# other suites, so it neither starves their timing-sensitive waits nor measures their noise.
SOAK=tests/hardening/test/soak.test.ts
pnpm exec jest --ci --testPathIgnorePatterns /node_modules/ /\.cache/ "$SOAK" || status=$?
pnpm exec jest --ci "$SOAK" || { s=$?; [ "$status" -ne 0 ] || status=$s; }
if [ "${WEBCHAT_CONTAINERS:-1}" != 0 ]; then
  bash tests/deploy-checks/engine/run.sh || { s=$?; [ "$status" -ne 0 ] || status=$s; }
fi
exit "$status"
