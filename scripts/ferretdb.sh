#!/usr/bin/env bash
# Local MongoDB wire-protocol server for the store's contract tests:
# FerretDB built from its Go module, SQLite handler, listening on 127.0.0.1 only.
#
# Usage: scripts/ferretdb.sh build|start|stop|url|version|path
#
#   build    build the binary into the cache unless it is already there (idempotent)
#   start    build if needed, start in the background on 127.0.0.1 with a fresh
#            temporary data dir, wait until it accepts connections, then print
#            MONGODB_URL=mongodb://127.0.0.1:PORT/ on stdout
#   stop     stop the instance started by `start` and remove its data dir
#   url      print the URL of the running instance
#   version  print the FerretDB version this script builds
#   path     print the path of the cached binary
#
# Environment:
#   FERRETDB_VERSION          module version to build (default below)
#   FERRETDB_SUM              expected h1: module hash (pinned for the default version)
#   FERRETDB_PORT             port to listen on; default 27027, or the next free port
#                             if 27027 is taken (an explicit port must be free)
#   FERRETDB_LOG_LEVEL        debug|info|warn|error (default warn)
#   FERRETDB_START_TIMEOUT    seconds to wait for the port (default 30)
#   PULSE_FERRETDB_STATE_DIR  where pid/url/log files live
#                             (default ${TMPDIR:-/tmp}/pulse-ferretdb)
#   PULSE_PROXY_CACHE_DIR     binary cache root (default ~/.cache/pulse-proxy)
#
# FerretDB v1.24.1, as the project asks. Until 2026-11 the Go module proxy
# reachable here refused it (403), and v1.24.0 was built instead; since
# 2026-12-01 it serves v1.24.1, verified against the checksum database like
# any module. FERRETDB_VERSION=v1.24.0 (with FERRETDB_SUM) still builds the old one.
#
# The build follows upstream's own release build (build/ferretdb/production.Dockerfile):
# `go build -trimpath ./cmd/ferretdb` with CGO_ENABLED=0 and no build tags,
# inside the module source, with build/version/version.txt written first
# (FerretDB refuses to start without it). The module is fetched with
# `go mod download`, so its hash is checked against the checksum database,
# and the build runs with -mod=readonly, so every dependency is checked
# against FerretDB's own go.sum.

set -euo pipefail

readonly MODULE=github.com/FerretDB/FerretDB
readonly DEFAULT_VERSION=v1.24.1
readonly DEFAULT_SUM='h1:3FDJre3jHhs3cvzBiyZ3MAFLudfwlwOfogRYxWU4eEU='

VERSION="${FERRETDB_VERSION:-$DEFAULT_VERSION}"
case "$VERSION" in v*) ;; *) VERSION="v$VERSION" ;; esac
if [[ "$VERSION" == "$DEFAULT_VERSION" ]]; then
  EXPECTED_SUM="${FERRETDB_SUM:-$DEFAULT_SUM}"
else
  EXPECTED_SUM="${FERRETDB_SUM:-}"
fi

CACHE_ROOT="${PULSE_PROXY_CACHE_DIR:-${XDG_CACHE_HOME:-$HOME/.cache}/pulse-proxy}"
BIN_DIR="$CACHE_ROOT/ferretdb-${VERSION#v}"
BIN="$BIN_DIR/ferretdb"

STATE_DIR="${PULSE_FERRETDB_STATE_DIR:-${TMPDIR:-/tmp}/pulse-ferretdb}"
PID_FILE="$STATE_DIR/ferretdb.pid"
URL_FILE="$STATE_DIR/url"
PORT_FILE="$STATE_DIR/port"
DATA_FILE="$STATE_DIR/datadir"
LOG_FILE="$STATE_DIR/ferretdb.log"

log() { printf 'ferretdb.sh: %s\n' "$*" >&2; }
die() { log "error: $*"; exit 1; }

binary_ok() {
  [[ -x "$BIN" ]] || return 1
  local out
  out="$("$BIN" --version 2>/dev/null)" || return 1
  [[ $'\n'"$out"$'\n' == *$'\n'"version: $VERSION"$'\n'* ]]
}

# --- build -----------------------------------------------------------------

do_build() {
  if binary_ok; then
    log "using cached $BIN ($VERSION)"
    return 0
  fi
  command -v go >/dev/null 2>&1 || die "go is required to build FerretDB"
  mkdir -p "$CACHE_ROOT"

  # Serialise concurrent builds (e.g. two test runs at once).
  if command -v flock >/dev/null 2>&1; then
    exec 9>"$CACHE_ROOT/.ferretdb-build.lock"
    flock 9
    if binary_ok; then
      exec 9>&-
      log "using cached $BIN ($VERSION)"
      return 0
    fi
  fi

  local work
  work="$(mktemp -d "$CACHE_ROOT/.ferretdb-build.XXXXXX")"
  # shellcheck disable=SC2064
  trap "chmod -R u+w '$work' 2>/dev/null; rm -rf '$work'" EXIT

  local start_ts=$SECONDS
  log "building FerretDB $VERSION (first time only; about 1-2 minutes on 2 cores)"

  # Fetch the module source through the configured Go module proxy;
  # `go mod download` verifies it against the checksum database.
  local json
  if ! json="$(cd "$work" && GO111MODULE=on GOFLAGS='' go mod download -json "$MODULE@$VERSION")"; then
    printf '%s\n' "$json" >&2
    die "go mod download $MODULE@$VERSION failed"
  fi
  local dir sum commit
  dir="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Dir": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  sum="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Sum": "\(.*\)",\{0,1\}$/\1/p' | head -n1)"
  commit="$(printf '%s\n' "$json" | sed -n 's/^[[:space:]]*"Hash": "\([0-9a-f]\{40\}\)",\{0,1\}$/\1/p' | head -n1)"
  [[ -n "$dir" && -d "$dir" ]] || { printf '%s\n' "$json" >&2; die "could not locate downloaded module"; }
  if [[ -n "$EXPECTED_SUM" && "$sum" != "$EXPECTED_SUM" ]]; then
    die "module hash mismatch for $MODULE@$VERSION: got '$sum', expected '$EXPECTED_SUM'"
  fi

  local src="$work/src"
  cp -R "$dir" "$src"
  chmod -R u+w "$src"
  printf '%s\n' "$VERSION" >"$src/build/version/version.txt"
  [[ -z "$commit" ]] || printf '%s\n' "$commit" >"$src/build/version/commit.txt"

  (
    cd "$src"
    CGO_ENABLED=0 GO111MODULE=on GOFLAGS="-mod=readonly -buildvcs=false" \
      go build -trimpath -o "$work/ferretdb" ./cmd/ferretdb
  ) || die "go build failed"

  mkdir -p "$BIN_DIR"
  mv -f "$work/ferretdb" "$BIN.tmp.$$"
  mv -f "$BIN.tmp.$$" "$BIN"
  binary_ok || die "built binary does not report version $VERSION"
  log "built $BIN in $((SECONDS - start_ts))s"
  # Release the build lock so a server started afterwards does not inherit it.
  { exec 9>&-; } 2>/dev/null || true
}

# --- start / stop ----------------------------------------------------------

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running_pid() {
  [[ -f "$PID_FILE" ]] || return 1
  local pid
  pid="$(cat "$PID_FILE" 2>/dev/null || true)"
  [[ "$pid" =~ ^[0-9]+$ ]] || return 1
  kill -0 "$pid" 2>/dev/null || return 1
  # Make sure the pid was not recycled by an unrelated process.
  if [[ -r "/proc/$pid/cmdline" ]]; then
    tr '\0' ' ' <"/proc/$pid/cmdline" | grep -q 'ferretdb' || return 1
  fi
  printf '%s\n' "$pid"
}

cleanup_state() {
  local data=""
  [[ -f "$DATA_FILE" ]] && data="$(cat "$DATA_FILE")"
  # Only ever remove directories this script created.
  if [[ -n "$data" && -d "$data" && "$(basename "$data")" == pulse-ferretdb-data.* ]]; then
    rm -rf "$data"
  fi
  rm -f "$PID_FILE" "$URL_FILE" "$PORT_FILE" "$DATA_FILE"
}

do_start() {
  local pid
  if pid="$(running_pid)"; then
    log "already running (pid $pid)"
    printf 'MONGODB_URL=%s\n' "$(cat "$URL_FILE")"
    return 0
  fi
  cleanup_state
  do_build

  local port
  if [[ -n "${FERRETDB_PORT:-}" ]]; then
    port="$FERRETDB_PORT"
    [[ "$port" =~ ^[0-9]+$ ]] || die "FERRETDB_PORT must be a number"
    ! port_in_use "$port" || die "port $port on 127.0.0.1 is already in use"
  else
    port=27027
    while port_in_use "$port"; do
      port=$((port + 1))
      ((port < 27127)) || die "no free port in 27027-27126"
    done
  fi

  mkdir -p "$STATE_DIR"
  local data
  data="$(mktemp -d "${TMPDIR:-/tmp}/pulse-ferretdb-data.XXXXXX")"
  printf '%s\n' "$data" >"$DATA_FILE"

  # FerretDB reads FERRETDB_* variables as flags; don't let ours (or stray ones) leak in.
  local -a unset_env=()
  local v
  while IFS= read -r v; do unset_env+=(-u "$v"); done < <(compgen -e | grep '^FERRETDB_' || true)

  env "${unset_env[@]}" DO_NOT_TRACK=1 "$BIN" \
    --handler=sqlite \
    --sqlite-url="file:$data/" \
    --state-dir="$data" \
    --listen-addr="127.0.0.1:$port" \
    --debug-addr=- \
    --telemetry=disable \
    --log-level="${FERRETDB_LOG_LEVEL:-warn}" \
    </dev/null >"$LOG_FILE" 2>&1 &
  pid=$!
  printf '%s\n' "$pid" >"$PID_FILE"

  local timeout="${FERRETDB_START_TIMEOUT:-30}"
  local deadline=$((SECONDS + timeout))
  until port_in_use "$port"; do
    if ! kill -0 "$pid" 2>/dev/null; then
      log "FerretDB exited during startup; log follows:"
      cat "$LOG_FILE" >&2 || true
      cleanup_state
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      log "FerretDB did not accept connections on 127.0.0.1:$port within ${timeout}s; log follows:"
      cat "$LOG_FILE" >&2 || true
      kill "$pid" 2>/dev/null || true
      cleanup_state
      exit 1
    fi
    sleep 0.2
  done

  local url="mongodb://127.0.0.1:$port/"
  printf '%s\n' "$port" >"$PORT_FILE"
  printf '%s\n' "$url" >"$URL_FILE"
  log "FerretDB $VERSION (sqlite) pid $pid listening on 127.0.0.1:$port, data in $data, log in $LOG_FILE"
  printf 'MONGODB_URL=%s\n' "$url"
}

do_stop() {
  local pid
  if pid="$(running_pid)"; then
    kill "$pid" 2>/dev/null || true
    local i
    for ((i = 0; i < 50; i++)); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    if kill -0 "$pid" 2>/dev/null; then
      log "FerretDB (pid $pid) did not stop on SIGTERM; sending SIGKILL"
      kill -9 "$pid" 2>/dev/null || true
    fi
    log "stopped FerretDB (pid $pid)"
  else
    log "FerretDB is not running"
  fi
  cleanup_state
}

do_url() {
  running_pid >/dev/null || die "FerretDB is not running (use: $0 start)"
  cat "$URL_FILE"
}

case "${1:-}" in
  build) do_build ;;
  start) do_start ;;
  stop) do_stop ;;
  url) do_url ;;
  version) printf '%s\n' "$VERSION" ;;
  path) printf '%s\n' "$BIN" ;;
  *)
    echo "usage: $0 build|start|stop|url|version|path" >&2
    exit 2
    ;;
esac
