#!/usr/bin/env bash
# `pnpm test`: system deps, workspace install, type check, then jest (its exit code is ours).
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

bash scripts/ensure-system-deps.sh
# A no-op when node_modules matches the lockfile; fails when package.json and the lockfile disagree.
pnpm install --frozen-lockfile
pnpm exec tsc --noEmit -p tsconfig.json
exec pnpm exec jest --ci "$@"
