# shellcheck shell=bash
# Shared helpers of scripts/services.sh. State is machine-wide, not per clone: CI runs from a fresh
# clone on the same machine while services started from another clone may still be running.

AIOS_STATE_DIR=${AIOS_STATE_DIR:-/var/lib/aios-services}
AIOS_LOG_DIR=${AIOS_LOG_DIR:-/var/log/aios-services}
AIOS_PID_DIR="$AIOS_STATE_DIR/pids"

log() { printf 'services: %s\n' "$*" >&2; }
die() { printf 'services: error: %s\n' "$*" >&2; exit 1; }

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root: it installs Debian packages and starts daemons"
}

prepare_dirs() {
  mkdir -p "$AIOS_STATE_DIR" "$AIOS_LOG_DIR" "$AIOS_PID_DIR"
  chmod 700 "$AIOS_STATE_DIR"
}

# Installs Debian packages that are missing; `apt-get update` only when a package is unknown.
ensure_packages() {
  local missing=() pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "ok installed" || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]} (Debian packages)"
  if ! apt-cache show "${missing[@]}" >/dev/null 2>&1; then
    apt-get update -qq >"$AIOS_LOG_DIR/apt.log" 2>&1 || die "apt-get update failed; see $AIOS_LOG_DIR/apt.log"
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" \
    >>"$AIOS_LOG_DIR/apt.log" 2>&1 || die "apt-get install ${missing[*]} failed; see $AIOS_LOG_DIR/apt.log"
}

# Starts a command in its own session, detached, and records its pid as "started by us".
spawn() {
  local name=$1 logfile=$2
  shift 2
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null &
  echo $! >"$AIOS_PID_DIR/$name.pid"
}

# A killed daemon can linger as a zombie until init reaps it; kill -0 still succeeds then.
pid_alive() {
  local file="$AIOS_PID_DIR/$1.pid" pid state
  [ -f "$file" ] || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops a process we started (and only those: the pid file is our record) and waits for it.
stop_pid() {
  local name=$1 file="$AIOS_PID_DIR/$1.pid" pid i
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if kill -0 "$pid" 2>/dev/null; then
    kill -TERM "$pid" 2>/dev/null || true
    for i in $(seq 1 50); do
      kill -0 "$pid" 2>/dev/null || break
      sleep 0.2
    done
    kill -0 "$pid" 2>/dev/null && kill -KILL "$pid" 2>/dev/null
  fi
  rm -f "$file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION LOGFILE COMMAND...: polls COMMAND every 0.25 s.
wait_until() {
  local seconds=$1 what=$2 logfile=$3 deadline
  shift 3
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'services: error: %s did not come up within %ss; last lines of %s:\n' "$what" "$seconds" "$logfile" >&2
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.25
  done
}
