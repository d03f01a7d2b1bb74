#!/usr/bin/env bash
# The container suite, as `pnpm test` runs it after the main jest run (alone: `pnpm test:containers`):
# starts this checkout's private dockerd, makes the stand-in base images, builds every image of
# docker-compose.yml from the services' Dockerfiles, runs the engine jest suite (which brings the whole system
# up with docker-compose, checks it through Starship and takes it down), and stops the daemon again, also on
# failure or Ctrl-C. Extra arguments go to jest.
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
ENGINE="$REPO/tests/deploy-checks/engine/engine.sh"
# The Compose project of the suite: the images built here are named after it (webchat-ci_orchestrator, ...).
export WEBCHAT_CI_PROJECT=webchat-ci
eval "export $(bash "$ENGINE" env)"

cd "$REPO"
started=$(date +%s)
stamp() { printf 'containers: %s (%ss)\n' "$1" "$(($(date +%s) - started))" >&2; }

bash "$ENGINE" start
trap 'bash "$ENGINE" stop' EXIT
stamp "engine up"
bash "$ENGINE" stand-ins
stamp "stand-in base images ready"

# docker-compose interpolates the whole file even to build: a throwaway .env (no container sees it).
build_env="$(mktemp -d)"
pnpm exec tsx scripts/make-env.ts --out "$build_env/.env" --demo-dir "$build_env/demo" --keys-dir "$build_env/keys" > /dev/null
# One image at a time: they share every layer up to the bundle step, so the first build fills the cache
# the others hit (in parallel each would download the whole pnpm store).
WEBCHAT_COMPOSE_FILES="$build_env" COMPOSE_DOCKER_CLI_BUILD=0 DOCKER_BUILDKIT=0 \
  docker-compose --no-ansi -p "$WEBCHAT_CI_PROJECT" --env-file "$build_env/.env" -f docker-compose.yml build --progress plain 2>&1 \
  | grep --line-buffered -E '^(Building|Successfully tagged|Step [0-9]+/[0-9]+ : (FROM|RUN))|rror' || true
rm -rf "$build_env"
# The pipeline above hides the build's exit status: every image must now exist.
for service in migrate seed-demo scoped-auth federated-auth orchestrator starship; do
  /usr/bin/docker image inspect "${WEBCHAT_CI_PROJECT}_${service}" > /dev/null 2>&1 \
    || { echo "containers: the image of $service was not built" >&2; exit 1; }
done
stamp "images built"

status=0
pnpm exec jest --ci -c tests/deploy-checks/jest.engine.config.js "$@" || status=$?
stamp "suite done"
exit "$status"
