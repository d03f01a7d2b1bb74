#!/usr/bin/env bash
# Installs the tools the tests need when they are missing; silent when everything is present.
set -euo pipefail

PNPM_VERSION=12.4.2
DEBIAN_PACKAGES=(postgresql nginx-light chromium)

# corepack fails on this registry's signatures, so pnpm comes from npm.
if [ "$(pnpm -v 2>/dev/null || true)" != "$PNPM_VERSION" ]; then
  echo "ensure-system-deps: installing pnpm@$PNPM_VERSION" >&2
  npm i -g --no-fund --no-audit "pnpm@$PNPM_VERSION" >&2
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
