#!/usr/bin/env bash
# Installs the tools the tests need when they are missing; silent when everything is present.
set -euo pipefail

PNPM_VERSION=12.4.2
# docker.io, docker-compose and debootstrap: the container suite (tests/deploy-checks/engine) runs its own
# dockerd and makes its own base images.
DEBIAN_PACKAGES=(postgresql nginx-light chromium docker.io docker-compose debootstrap)

# corepack fails on this registry's signatures, so pnpm comes from npm.
if [ "$(pnpm -v 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "ensure-system-deps: installing pnpm@$PNPM_VERSION" >&2
  npm i -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >&2
fi

# The Kubernetes checks render k8s/ with `kubectl kustomize`. kubectl is preinstalled on the development and CI
# machines; where it is missing it comes from Kubernetes' own apt repository, not Debian's archive.
if ! command -v "${KUBECTL:-kubectl}" > /dev/null 2>&1; then
  echo "ensure-system-deps: kubectl is missing (needed by tests/deploy-checks: kubectl kustomize). Install kubectl 1.27 or" >&2
  echo "  later, e.g. the Debian package kubectl from https://pkgs.k8s.io/core:/stable:/v1.32/deb/, or set KUBECTL to its path." >&2
  exit 1
fi

missing=()
for package in "${DEBIAN_PACKAGES[@]}"; do
  # dpkg -s also succeeds for removed packages whose config files remain; ask for the state.
  if [ "$(dpkg-query -W -f='${db:Status-Status}' "$package" 2>/dev/null || true)" != "installed" ]; then
    missing+=("$package")
  fi
done
[ "${#missing[@]}" -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "ensure-system-deps: missing Debian packages (install as root): ${missing[*]}" >&2
  exit 1
fi
echo "ensure-system-deps: installing ${missing[*]}" >&2
# Another apt run (e.g. image provisioning) may hold the lock: wait for it instead of failing.
apt-get -o DPkg::Lock::Timeout=600 update -qq >&2
DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >&2
