#!/usr/bin/env bash
# The end-to-end test infrastructure on a Debian 12 (bookworm) machine, as root:
#   - QEMU user emulation through binfmt_misc (arm64 and arm/v7 RUN steps and containers);
#   - dockerd 26 + containerd 1.7 from Debian trixie with the containerd image store (the only
#     engine that can build several platforms at once with buildx's default `docker` driver here),
#     the buildx plugin and a docker CLI of the same release, all unpacked into a private folder;
#   - a registry (distribution) with TLS and basic auth on a loopback address;
#   - busybox base images for linux/amd64, linux/arm64 and linux/arm/v7 made from Debian packages
#     (no public registry is reachable), pushed to that registry.
# Recipes and the errors of what does not work: ../shared/reference/local-test-infrastructure.md.
#
# Usage: scripts/e2e/infra.sh <command>
#   install   packages and files (idempotent; the slow part, run once per machine)
#   start     binfmt handlers, registry, dockerd, base images (idempotent; starts what is not running)
#   stop      stops the registry and dockerd started by `start`
#   up        install + start          down   stop
#   start-classic / stop-classic   a second engine with the classic image store (one platform at a time)
#   status    what runs, and where
#   env       shell exports for using the engine by hand:  eval "$(scripts/e2e/infra.sh env)"
#   clean     stop, then remove the private folder and the /etc/hosts alias this script added
#
# Everything lives in $E2E_HOME (default: <repo>/tmp/e2e). The system's apt sources, dpkg
# architectures and docker configuration are never changed: packages from other suites and
# architectures are downloaded through a private apt configuration and unpacked, not installed.
# Left on the machine by design: the Debian packages installed with apt-get (runc, docker-registry,
# qemu-user-static, binfmt-support, apache2-utils) and the binfmt_misc mount with its qemu handlers.
# The docker0 bridge dockerd makes is deleted by `stop`; no iptables rule is ever added.
set -euo pipefail

REPO=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
E2E_HOME=${E2E_HOME:-$REPO/tmp/e2e}
mkdir -p "$E2E_HOME"
E2E_HOME=$(cd "$E2E_HOME" && pwd)
# Sockets live under /run: unix socket paths are limited to 108 bytes, and a clone may sit deep.
RUN_DIR=${E2E_RUN_DIR:-/run/ml-to-iot-edge-e2e}
REGISTRY_PORT=${E2E_REGISTRY_PORT:-5443}
READONLY_PORT=$((REGISTRY_PORT + 1))
BASE_REPOSITORY=base/busybox
BASE_TAG=1

ROOTFS=$E2E_HOME/root            # unpacked trixie packages (usr/bin/dockerd, containerd, docker, ...)
DOCKER_CONFIG_DIR=$E2E_HOME/docker-config
REGISTRY_DIR=$E2E_HOME/registry
APT_DIR=$E2E_HOME/apt
BASE_DIR=$E2E_HOME/base-image
HOSTS_MARK='# ml-to-iot-edge e2e registry alias'
HOSTS_ALIAS=ml-to-iot-edge-registry

export PATH="$ROOTFS/usr/sbin:$ROOTFS/usr/bin:$PATH"
export DOCKER_CONFIG=$DOCKER_CONFIG_DIR
export DOCKER_HOST=unix://$RUN_DIR/dockerd.sock

step_started=0
step() {
  step_done
  step_name=$1
  step_started=$(date +%s%N)
  echo "== $step_name"
}
step_done() {
  if [ "$step_started" != 0 ]; then
    local ms=$((($(date +%s%N) - step_started) / 1000000))
    printf '   %s: %d.%01d s\n' "$step_name" $((ms / 1000)) $((ms % 1000 / 100))
    step_started=0
  fi
}
die() {
  echo "infra.sh: $*" >&2
  exit 1
}

require_root_debian() {
  [ "$(id -u)" = 0 ] || die "run as root: it installs packages, mounts binfmt_misc and starts dockerd"
  [ -r /etc/os-release ] || die "no /etc/os-release: this script supports Debian 12 (bookworm) only"
  # shellcheck disable=SC1091
  . /etc/os-release
  [ "${ID:-}" = debian ] && [ "${VERSION_CODENAME:-}" = bookworm ] ||
    die "this script supports Debian 12 (bookworm); this is ${PRETTY_NAME:-unknown}"
  [ "$(dpkg --print-architecture)" = amd64 ] || die "this script supports amd64 hosts only"
}

# ---------------------------------------------------------------------------------------- install

# The Debian archive URI the machine already uses (deb822 sources first, then one-line sources).
debian_archive_uri() {
  local uri=''
  shopt -s nullglob
  for file in /etc/apt/sources.list.d/*.sources; do
    uri=$(awk '
      /^[[:space:]]*$/ { if (uris != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) { print uris; exit } uris=""; suites="" }
      /^URIs:/ { uris=$2 }
      /^Suites:/ { $1=""; suites=$0 }
      END { if (uris != "" && suites ~ /(^|[[:space:]])bookworm([[:space:]]|$)/) print uris }' "$file" | head -n 1)
    [ -n "$uri" ] && break
  done
  if [ -z "$uri" ]; then
    for file in /etc/apt/sources.list /etc/apt/sources.list.d/*.list; do
      [ -r "$file" ] || continue
      uri=$(awk '$1 == "deb" && $0 ~ /[[:space:]]bookworm[[:space:]]/ { for (i = 2; i <= NF; i++) if ($i ~ /^[a-z]+:\/\//) { print $i; exit } }' "$file")
      [ -n "$uri" ] && break
    done
  fi
  shopt -u nullglob
  [ -n "$uri" ] || die "found no Debian bookworm archive in /etc/apt/sources.list{,.d}: cannot derive where trixie packages come from"
  echo "$uri"
}

private_apt() {
  apt-get \
    -o Dir::Etc::SourceList=/dev/null \
    -o Dir::Etc::SourceParts="$APT_DIR/parts" \
    -o Dir::State::Lists="$APT_DIR/lists" \
    -o Dir::Cache="$APT_DIR/cache" \
    -o Dir::State::status=/dev/null \
    -o APT::Architectures::=amd64 -o APT::Architectures::=arm64 -o APT::Architectures::=armhf \
    -o Acquire::Languages=none -o APT::Sandbox::User=root \
    "$@"
}

install_system_packages() {
  step "apt-get update and install (runc, docker-registry, qemu-user-static, apache2-utils)"
  local wanted=(runc docker-registry qemu-user-static binfmt-support apache2-utils openssl ca-certificates curl)
  local missing=()
  for package in "${wanted[@]}"; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  if [ ${#missing[@]} -gt 0 ]; then
    mount_binfmt # before qemu-user-static, so its postinst registers the handlers
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends "${missing[@]}"
  else
    echo "   already installed: ${wanted[*]}"
  fi
}

download_debs() {
  step "private apt: trixie engine packages and busybox for three architectures"
  local marker=$APT_DIR/downloaded
  if [ -f "$marker" ]; then
    echo "   already downloaded: $(tr '\n' ' ' <"$marker")"
    return
  fi
  local uri
  uri=$(debian_archive_uri)
  echo "   archive (from the machine's apt sources): $uri"
  mkdir -p "$APT_DIR"/{lists/partial,cache/archives/partial,parts,debs}
  cat >"$APT_DIR/parts/e2e.sources" <<EOF
Types: deb
URIs: $uri
Suites: trixie
Components: main
Architectures: amd64
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg

Types: deb
URIs: $uri
Suites: bookworm
Components: main
Architectures: amd64 arm64 armhf
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
EOF
  private_apt -q update
  (cd "$APT_DIR/debs" && private_apt -q download \
    docker.io/trixie docker-cli/trixie containerd/trixie docker-buildx/trixie \
    busybox-static:amd64/bookworm busybox-static:arm64/bookworm busybox-static:armhf/bookworm)
  ls "$APT_DIR/debs" >"$marker"
  # The lists are only needed for this download; the debs are kept for re-runs.
  rm -rf "$APT_DIR/lists" "$APT_DIR/cache"
}

unpack_engine() {
  step "unpack dockerd, containerd, docker CLI and buildx"
  if [ -x "$ROOTFS/usr/sbin/dockerd" ] && [ -x "$DOCKER_CONFIG_DIR/cli-plugins/docker-buildx" ]; then
    echo "   already unpacked"
  else
    rm -rf "$ROOTFS"
    mkdir -p "$ROOTFS" "$DOCKER_CONFIG_DIR/cli-plugins"
    for deb in "$APT_DIR"/debs/{docker.io,docker-cli,containerd}_*_amd64.deb; do
      dpkg-deb -x "$deb" "$ROOTFS"
    done
    local buildx_dir=$E2E_HOME/buildx-deb
    rm -rf "$buildx_dir"
    dpkg-deb -x "$APT_DIR"/debs/docker-buildx_*_amd64.deb "$buildx_dir"
    cp "$buildx_dir/usr/libexec/docker/cli-plugins/docker-buildx" "$DOCKER_CONFIG_DIR/cli-plugins/"
    rm -rf "$buildx_dir"
  fi
  local dockerd_version containerd_version
  dockerd_version=$("$ROOTFS/usr/sbin/dockerd" --version)
  containerd_version=$("$ROOTFS/usr/bin/containerd" --version)
  case "$dockerd_version" in *" 26."*) ;; *) die "expected dockerd 26, got: $dockerd_version" ;; esac
  case "$containerd_version" in *" 1.7."*) ;; *) die "expected containerd 1.7, got: $containerd_version" ;; esac
  echo "   $dockerd_version"
  echo "   $containerd_version"
  echo "   $("$ROOTFS/usr/bin/docker" --version)"
  echo "   $(docker buildx version)"
}

make_base_rootfs() {
  step "busybox root filesystems for amd64, arm64 and arm/v7"
  if [ -f "$BASE_DIR/ready" ]; then
    echo "   already made"
    return
  fi
  rm -rf "$BASE_DIR"
  mkdir -p "$BASE_DIR"
  local applets
  for pair in amd64:amd64 arm64:arm64 armhf:armv7; do
    local deb_arch=${pair%%:*} dir=$BASE_DIR/rootfs-${pair##*:}
    mkdir -p "$dir"
    dpkg-deb -x "$APT_DIR"/debs/busybox-static_*_"$deb_arch".deb "$dir"
    mkdir -p "$dir"/{tmp,etc,root,srv,proc,sys,dev}
    chmod 1777 "$dir/tmp"
    printf 'root:x:0:0:root:/root:/bin/sh\nnobody:x:65534:65534:nobody:/:/bin/false\n' >"$dir/etc/passwd"
    printf 'root:x:0:\nnogroup:x:65534:\n' >"$dir/etc/group"
  done
  # The applet list is the same for every architecture (one source version): ask the amd64 build.
  applets=$("$BASE_DIR/rootfs-amd64/bin/busybox" --list)
  for dir in "$BASE_DIR"/rootfs-*; do
    for applet in $applets; do
      [ "$applet" = busybox ] || ln -sf busybox "$dir/bin/$applet"
    done
  done
  cat >"$BASE_DIR/Dockerfile" <<'EOF'
FROM scratch
ARG TARGETARCH
ARG TARGETVARIANT
COPY rootfs-${TARGETARCH}${TARGETVARIANT}/ /
CMD ["/bin/sh"]
EOF
  touch "$BASE_DIR/ready"
}

cmd_install() {
  require_root_debian
  local started
  started=$(date +%s)
  install_system_packages
  download_debs
  unpack_engine
  make_base_rootfs
  step_done
  echo "== install done in $(($(date +%s) - started)) s"
}

# ------------------------------------------------------------------------------------------ start

mount_binfmt() {
  if ! mountpoint -q /proc/sys/fs/binfmt_misc; then
    mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  fi
}

# Registers qemu for arm64 and arm (fix-binary, so it works inside containers) unless registered.
ensure_binfmt() {
  step "binfmt_misc handlers for arm64 and arm"
  mount_binfmt
  for name in qemu-aarch64 qemu-arm; do
    if [ ! -e "/proc/sys/fs/binfmt_misc/$name" ]; then
      local conf=/usr/lib/binfmt.d/$name.conf
      [ -r "$conf" ] || die "$conf is missing: run '$0 install' first (it installs qemu-user-static)"
      # The systemd-binfmt line is exactly what the kernel's register file takes.
      grep -v '^#' "$conf" | head -n 1 >/proc/sys/fs/binfmt_misc/register
    fi
    grep -q '^enabled' "/proc/sys/fs/binfmt_misc/$name" || echo 1 >"/proc/sys/fs/binfmt_misc/$name"
    grep -q '^flags: .*F' "/proc/sys/fs/binfmt_misc/$name" ||
      die "$name is registered without the F (fix-binary) flag: containers could not find qemu"
  done
  echo "   $(grep -h '^interpreter' /proc/sys/fs/binfmt_misc/qemu-aarch64 /proc/sys/fs/binfmt_misc/qemu-arm | tr '\n' ' ')"
}

# A name for the registry that resolves to loopback and is not `localhost` (buildx talks plain HTTP
# to `localhost` and loopback addresses: reference §15.2): the machine's own name when it resolves
# to 127.x, else an /etc/hosts alias this script adds (and `clean` removes).
registry_host_name() {
  local name
  name=$(hostname)
  if [ -n "$name" ] && [ "$name" != localhost ] &&
    getent ahostsv4 "$name" 2>/dev/null | awk '{print $1}' | grep -q '^127\.'; then
    echo "$name"
    return
  fi
  if ! grep -q "$HOSTS_MARK" /etc/hosts; then
    printf '127.0.0.1 %s %s\n' "$HOSTS_ALIAS" "$HOSTS_MARK" >>/etc/hosts
  fi
  echo "$HOSTS_ALIAS"
}

pid_running() {
  [ -f "$1" ] && kill -0 "$(cat "$1")" 2>/dev/null
}

port_answers() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# Our registries keep their ports; new ones skip ports that something else holds (a registry left
# running by another checkout would otherwise answer in their place).
choose_registry_ports() {
  if pid_running "$REGISTRY_DIR/registry.pid" && [ -f "$REGISTRY_DIR/address" ]; then
    local address
    address=$(cat "$REGISTRY_DIR/address")
    REGISTRY_PORT=${address##*:}
  else
    while port_answers "$REGISTRY_PORT" || port_answers $((REGISTRY_PORT + 1)); do
      echo "   port $REGISTRY_PORT or $((REGISTRY_PORT + 1)) is taken by another process: trying $((REGISTRY_PORT + 2))"
      REGISTRY_PORT=$((REGISTRY_PORT + 2))
    done
  fi
  READONLY_PORT=$((REGISTRY_PORT + 1))
}

start_registry() {
  step "registry with TLS and basic auth"
  local host
  host=$(registry_host_name)
  mkdir -p "$REGISTRY_DIR"/{data,tls}
  choose_registry_ports
  if [ ! -f "$REGISTRY_DIR/tls/ca.pem" ] || [ "$(cat "$REGISTRY_DIR/tls/names" 2>/dev/null)" != "$host" ]; then
    # A CA and a server certificate from the project's own issuer (src/sandbox/tls.ts).
    (cd "$REPO" && node --import tsx scripts/e2e/registry-cert.ts "$REGISTRY_DIR/tls" "$host" localhost 127.0.0.1)
    echo "$host" >"$REGISTRY_DIR/tls/names"
  fi
  if [ ! -f "$REGISTRY_DIR/htpasswd" ]; then
    local password
    password=$(head -c 18 /dev/urandom | base64 | tr '+/' '-_')
    printf 'e2e\n%s\n' "$password" >"$REGISTRY_DIR/credentials"
    chmod 600 "$REGISTRY_DIR/credentials"
    htpasswd -Bbn e2e "$password" >"$REGISTRY_DIR/htpasswd"
  fi
  cat >"$REGISTRY_DIR/config.yml" <<EOF
version: 0.1
log:
  level: info
storage:
  filesystem:
    rootdirectory: $REGISTRY_DIR/data
  delete:
    enabled: true
http:
  addr: 127.0.0.1:$REGISTRY_PORT
  tls:
    certificate: $REGISTRY_DIR/tls/server.pem
    key: $REGISTRY_DIR/tls/server-key.pem
auth:
  htpasswd:
    realm: ml-to-iot-edge-e2e
    path: $REGISTRY_DIR/htpasswd
EOF
  # The same storage served read-only on the next port: a registry that refuses pushes.
  sed -e "s/127.0.0.1:$REGISTRY_PORT/127.0.0.1:$READONLY_PORT/" -e 's/^  delete:$/  maintenance:\n    readonly:\n      enabled: true\n  delete:/' \
    "$REGISTRY_DIR/config.yml" >"$REGISTRY_DIR/config-readonly.yml"
  echo "$host:$REGISTRY_PORT" >"$REGISTRY_DIR/address"
  echo "$host:$READONLY_PORT" >"$REGISTRY_DIR/address-readonly"
  for instance in registry registry-readonly; do
    local config=$REGISTRY_DIR/config.yml port=$REGISTRY_PORT
    [ "$instance" = registry-readonly ] && config=$REGISTRY_DIR/config-readonly.yml port=$READONLY_PORT
    if pid_running "$REGISTRY_DIR/$instance.pid"; then
      echo "   $instance already running (pid $(cat "$REGISTRY_DIR/$instance.pid"))"
      continue
    fi
    setsid docker-registry serve "$config" >"$REGISTRY_DIR/$instance.log" 2>&1 </dev/null &
    echo $! >"$REGISTRY_DIR/$instance.pid"
    for _ in $(seq 1 100); do
      [ "$(curl -s -o /dev/null -w '%{http_code}' --cacert "$REGISTRY_DIR/tls/ca.pem" "https://$host:$port/v2/")" = 401 ] && break
      pid_running "$REGISTRY_DIR/$instance.pid" || { cat "$REGISTRY_DIR/$instance.log" >&2; die "$instance exited"; }
      sleep 0.1
    done
  done
  local user password
  { read -r user; read -r password; } <"$REGISTRY_DIR/credentials"
  [ "$(curl -s -o /dev/null -w '%{http_code}' -u "$user:$password" --cacert "$REGISTRY_DIR/tls/ca.pem" "https://$host:$REGISTRY_PORT/v2/")" = 200 ] ||
    die "the registry at $host:$REGISTRY_PORT does not answer 200 with its credentials (log: $REGISTRY_DIR/registry.log)"
  echo "   https://$host:$REGISTRY_PORT (user $user), CA $REGISTRY_DIR/tls/ca.pem"
}

daemon_running() {
  pid_running "$RUN_DIR/dockerd.pid"
}

# run_dockerd [--private-network] <name> <daemon.json> [dockerd flags...]: starts one dockerd (and the
# containerd it manages) with its own data, exec folder and socket ($RUN_DIR/<name>.sock), unless it
# runs already. --private-network runs it in a network namespace of its own.
run_dockerd() {
  local launcher=()
  if [ "$1" = --private-network ]; then
    launcher=(unshare --net)
    shift
  fi
  local name=$1 config=$2
  shift 2
  local dir=$E2E_HOME/$name socket=unix://$RUN_DIR/$name.sock
  mkdir -p "$dir" "$RUN_DIR"
  if pid_running "$RUN_DIR/$name.pid"; then
    echo "   $name already running (pid $(cat "$RUN_DIR/$name.pid"))"
    return
  fi
  echo "$config" >"$dir/daemon.json"
  # No iptables: the tests need no outside network, and the host's firewall stays as it was.
  setsid "${launcher[@]}" dockerd --config-file "$dir/daemon.json" --data-root "$dir/data" --exec-root "$RUN_DIR/$name-exec" \
    --pidfile "$RUN_DIR/$name.pid" -H "$socket" --iptables=false --ip6tables=false "$@" \
    >"$dir/dockerd.log" 2>&1 </dev/null &
  local pid=$!
  for _ in $(seq 1 300); do
    DOCKER_HOST=$socket docker version >/dev/null 2>&1 && return
    kill -0 "$pid" 2>/dev/null || { tail -n 30 "$dir/dockerd.log" >&2; die "$name exited"; }
    sleep 0.1
  done
  tail -n 30 "$dir/dockerd.log" >&2
  die "$name did not answer on $socket within 30 s"
}

start_daemon() {
  step "dockerd 26 with the containerd image store"
  [ -x "$ROOTFS/usr/sbin/dockerd" ] || die "dockerd is not unpacked: run '$0 install' first"
  # dockerd makes the docker0 bridge (RUN steps run in a bridged network namespace: "network bridge
  # not found" without it); `stop` deletes it again when it was not there before.
  mkdir -p "$RUN_DIR"
  if ! ip link show docker0 >/dev/null 2>&1 && ! daemon_running; then touch "$RUN_DIR/made-docker0"; fi
  run_dockerd dockerd '{ "features": { "containerd-snapshotter": true } }'
  local driver
  driver=$(docker info --format '{{.Driver}} {{json .DriverStatus}}')
  case "$driver" in *io.containerd.snapshotter*) ;; *) die "the containerd image store is not on: $driver" ;; esac
  echo "   $(docker version --format 'server {{.Server.Version}}, client {{.Client.Version}}'), $DOCKER_HOST"
  echo "   builder platforms: $(docker buildx inspect | awk -F': *' '/^Platforms:/ {print $2; exit}')"
}

# A second engine with the classic image store (no containerd snapshotter): it builds one platform
# at a time, for the test that a multi-platform build is refused up front. It runs in a network
# namespace of its own: a dockerd without a bridge deletes the host's docker0 on start.
cmd_start_classic() {
  require_root_debian
  step "dockerd 26 with the classic image store (one platform at a time)"
  run_dockerd --private-network docker-classic '{}' --bridge=none
  echo "   unix://$RUN_DIR/docker-classic.sock"
  step_done
}

cmd_stop_classic() {
  stop_pid_file "$RUN_DIR/docker-classic.pid" "classic dockerd"
}

push_base_images() {
  step "busybox base images for amd64, arm64 and arm/v7"
  local address user password
  address=$(cat "$REGISTRY_DIR/address")
  { read -r user; read -r password; } <"$REGISTRY_DIR/credentials"
  local ref=$address/$BASE_REPOSITORY:$BASE_TAG
  if curl -sf -o /dev/null -u "$user:$password" --cacert "$REGISTRY_DIR/tls/ca.pem" \
    -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.docker.distribution.manifest.list.v2+json' \
    "https://$address/v2/$BASE_REPOSITORY/manifests/$BASE_TAG"; then
    echo "   already in the registry: $ref"
  else
    printf '%s' "$password" | docker login "$address" -u "$user" --password-stdin >/dev/null 2>&1
    # A registry can answer 500 while its storage settles (seen once in CI): try again, and on the
    # last failure show what the registry logged and how full the disk is.
    local attempt output
    for attempt in 1 2 3; do
      if output=$(docker buildx build --provenance=false --platform linux/amd64,linux/arm64,linux/arm/v7 \
        -t "$ref" --push "$BASE_DIR" 2>&1); then
        echo "$output" | tail -n 3
        break
      fi
      echo "   push attempt $attempt failed: $(echo "$output" | grep -m 1 -i error)" >&2
      if [ "$attempt" = 3 ]; then
        echo "$output" | tail -n 20 >&2
        echo "--- last lines of $REGISTRY_DIR/registry.log" >&2
        tail -n 40 "$REGISTRY_DIR/registry.log" >&2 || true
        df -h "$E2E_HOME" >&2 || true
        die "could not push the base images to $address"
      fi
      sleep $((attempt * 2))
    done
    docker logout "$address" >/dev/null
  fi
  echo "$ref" >"$E2E_HOME/base-image-ref"
  echo "   $ref"
}

write_env() {
  local address user password
  address=$(cat "$REGISTRY_DIR/address")
  { read -r user; read -r password; } <"$REGISTRY_DIR/credentials"
  cat >"$E2E_HOME/env.json" <<EOF
{
  "dockerHost": "$DOCKER_HOST",
  "dockerConfig": "$DOCKER_CONFIG_DIR",
  "path": "$ROOTFS/usr/sbin:$ROOTFS/usr/bin",
  "registry": "$address",
  "readonlyRegistry": "$(cat "$REGISTRY_DIR/address-readonly")",
  "registryUser": "$user",
  "registryPassword": "$password",
  "caFile": "$REGISTRY_DIR/tls/ca.pem",
  "baseImage": "$(cat "$E2E_HOME/base-image-ref")",
  "registryLog": "$REGISTRY_DIR/registry.log",
  "classicDockerHost": "unix://$RUN_DIR/docker-classic.sock"
}
EOF
  chmod 600 "$E2E_HOME/env.json"
}

cmd_start() {
  require_root_debian
  local started
  started=$(date +%s)
  ensure_binfmt
  start_registry
  start_daemon
  push_base_images
  write_env
  step_done
  echo "== started in $(($(date +%s) - started)) s; settings in $E2E_HOME/env.json"
}

# ------------------------------------------------------------------------------------------- stop

stop_pid_file() {
  local file=$1 what=$2
  [ -f "$file" ] || return 0
  local pid
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill "$pid"
    for _ in $(seq 1 200); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.1
    done
    if kill -0 "$pid" 2>/dev/null; then
      echo "   $what (pid $pid) did not stop in 20 s; sending SIGKILL" >&2
      kill -9 "$pid" 2>/dev/null || true
    fi
    echo "   stopped $what (pid $pid)"
  fi
  rm -f "$file"
}

cmd_stop() {
  step "stop dockerd and the registry"
  stop_pid_file "$RUN_DIR/docker-classic.pid" "classic dockerd"
  stop_pid_file "$RUN_DIR/dockerd.pid" dockerd
  if [ -f "$RUN_DIR/made-docker0" ]; then
    ip link delete docker0 2>/dev/null || true
    rm -f "$RUN_DIR/made-docker0"
  fi
  stop_pid_file "$REGISTRY_DIR/registry.pid" registry
  stop_pid_file "$REGISTRY_DIR/registry-readonly.pid" "read-only registry"
  rm -f "$E2E_HOME/env.json"
  step_done
}

cmd_status() {
  if daemon_running; then echo "dockerd: running (pid $(cat "$RUN_DIR/dockerd.pid")), $DOCKER_HOST"; else echo "dockerd: stopped"; fi
  for instance in registry registry-readonly; do
    if pid_running "$REGISTRY_DIR/$instance.pid"; then echo "$instance: running (pid $(cat "$REGISTRY_DIR/$instance.pid"))"; else echo "$instance: stopped"; fi
  done
  for name in qemu-aarch64 qemu-arm; do
    if [ -e "/proc/sys/fs/binfmt_misc/$name" ]; then echo "binfmt $name: $(head -n 1 "/proc/sys/fs/binfmt_misc/$name")"; else echo "binfmt $name: not registered"; fi
  done
  echo "home: $E2E_HOME"
}

cmd_env() {
  echo "export PATH='$ROOTFS/usr/sbin:$ROOTFS/usr/bin':\"\$PATH\""
  echo "export DOCKER_HOST='$DOCKER_HOST'"
  echo "export DOCKER_CONFIG='$DOCKER_CONFIG_DIR'"
  [ -f "$REGISTRY_DIR/address" ] && echo "export E2E_REGISTRY='$(cat "$REGISTRY_DIR/address")'"
  [ -f "$REGISTRY_DIR/tls/ca.pem" ] && echo "export SSL_CERT_FILE='$REGISTRY_DIR/tls/ca.pem' NODE_EXTRA_CA_CERTS='$REGISTRY_DIR/tls/ca.pem'"
  true
}

cmd_clean() {
  cmd_stop
  step "remove $E2E_HOME and the /etc/hosts alias"
  # dockerd unmounts its snapshots when it stops; anything still mounted below is left alone.
  if grep -q "$E2E_HOME" /proc/mounts; then
    die "something is still mounted under $E2E_HOME: $(grep "$E2E_HOME" /proc/mounts | awk '{print $2}' | head -n 3 | tr '\n' ' ')"
  fi
  rm -rf "$E2E_HOME" "$RUN_DIR"
  if grep -q "$HOSTS_MARK" /etc/hosts; then
    grep -v "$HOSTS_MARK" /etc/hosts >/etc/hosts.e2e-tmp && cat /etc/hosts.e2e-tmp >/etc/hosts && rm -f /etc/hosts.e2e-tmp
  fi
  step_done
}

case "${1:-}" in
  install) cmd_install ;;
  start) cmd_start ;;
  stop | down) cmd_stop ;;
  up) cmd_install && cmd_start ;;
  start-classic) cmd_start_classic ;;
  stop-classic) cmd_stop_classic ;;
  status) cmd_status ;;
  env) cmd_env ;;
  clean) cmd_clean ;;
  *)
    sed -n '2,/^set -euo/p' "$0" | sed -e '$d' -e 's/^# \{0,1\}//'
    exit 2
    ;;
esac
