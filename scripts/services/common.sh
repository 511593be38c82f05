# shellcheck shell=bash
# Shared helpers of scripts/services.sh. State is machine-wide, not per clone: CI runs from a fresh
# clone on the same machine while services started from another clone may still be running.
#
# Every location and port can be overridden, so a second, isolated set of services can run beside
# the shared one (used to measure a cold start without disturbing it; see docs/services.md).

AIOS_STATE_DIR=${AIOS_STATE_DIR:-/var/lib/aios-services}
AIOS_LOG_DIR=${AIOS_LOG_DIR:-/var/log/aios-services}
AIOS_PID_DIR="$AIOS_STATE_DIR/pids"
AIOS_RABBITMQ_PORT=${AIOS_RABBITMQ_PORT:-5672}
AIOS_RABBITMQ_MANAGEMENT_PORT=${AIOS_RABBITMQ_MANAGEMENT_PORT:-15672}
AIOS_RABBITMQ_PROMETHEUS_PORT=${AIOS_RABBITMQ_PROMETHEUS_PORT:-15692}
AIOS_CEPH_MON_PORT=${AIOS_CEPH_MON_PORT:-3300}
AIOS_RGW_PORT=${AIOS_RGW_PORT:-7480}
AIOS_PROMETHEUS_PORT=${AIOS_PROMETHEUS_PORT:-9090}
AIOS_ALERTMANAGER_PORT=${AIOS_ALERTMANAGER_PORT:-9093}

log() { printf 'services: %s\n' "$*" >&2; }
die() {
  printf 'services: error: %s\n' "$*" >&2
  exit 1
}

require_root() {
  [ "$(id -u)" -eq 0 ] || die "run as root: it installs Debian packages and starts daemons"
}

prepare_dirs() {
  mkdir -p "$AIOS_STATE_DIR" "$AIOS_LOG_DIR" "$AIOS_PID_DIR"
  # Keys live in the state dir; logs may quote configuration: neither is for other users.
  chmod 700 "$AIOS_STATE_DIR" "$AIOS_LOG_DIR"
}

# One `up`/`down` at a time per state dir: `npm test` in a CI clone and `npm run dev` in the main
# clone may both call `up` at once. Daemons are started with fd 9 closed, so they never hold it.
take_lock() {
  exec 9>"$AIOS_STATE_DIR/lock"
  if ! flock -n 9; then
    log "waiting for another scripts/services.sh up/down to finish ($AIOS_STATE_DIR/lock)"
    flock -w 600 9 || die "another scripts/services.sh held $AIOS_STATE_DIR/lock for 10 minutes"
  fi
}

APT_UPDATED=false

# apt-get install with daemons kept from starting: Debian's packages would otherwise start their
# own rabbitmq-server/prometheus services (on all interfaces) where systemd runs. A policy-rc.d
# that someone else installed is left alone.
apt_install() {
  local guard=/usr/sbin/policy-rc.d created=false rc=0
  if [ ! -e "$guard" ]; then
    printf '#!/bin/sh\n# Written by scripts/services.sh during apt-get install; removed afterwards.\nexit 101\n' >"$guard"
    chmod 755 "$guard"
    created=true
  fi
  DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends "$@" >>"$AIOS_LOG_DIR/apt.log" 2>&1 || rc=$?
  if [ "$created" = true ]; then rm -f "$guard"; fi
  return "$rc"
}

apt_update_once() {
  [ "$APT_UPDATED" = true ] && return 0
  log "apt-get update"
  apt-get update -q >>"$AIOS_LOG_DIR/apt.log" 2>&1 || die "apt-get update failed; see $AIOS_LOG_DIR/apt.log"
  APT_UPDATED=true
}

# (Pipelines here end in `grep >/dev/null`, not `grep -q`: under pipefail, grep -q exiting at the
# first match kills the writer with SIGPIPE and the whole check fails at random.)

# Installs the Debian packages that are missing; `apt-get update` (once) only when one is unknown
# or the package lists are stale.
ensure_packages() {
  local missing=() pkg
  for pkg in $(printf '%s\n' "$@" | sort -u); do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep "ok installed" >/dev/null || missing+=("$pkg")
  done
  [ "${#missing[@]}" -eq 0 ] && return 0
  log "installing ${missing[*]} (Debian packages; log $AIOS_LOG_DIR/apt.log)"
  for pkg in "${missing[@]}"; do
    # `apt-cache policy` prints "Candidate: (none)" or nothing for a package the lists lack.
    if ! apt-cache policy "$pkg" 2>/dev/null | grep 'Candidate: [0-9]' >/dev/null; then
      apt_update_once
      break
    fi
  done
  if ! apt_install "${missing[@]}"; then
    # Stale lists name versions the mirror no longer has (404): refresh once and retry.
    [ "$APT_UPDATED" = false ] || die "apt-get install ${missing[*]} failed; see $AIOS_LOG_DIR/apt.log"
    apt_update_once
    apt_install "${missing[@]}" || die "apt-get install ${missing[*]} failed; see $AIOS_LOG_DIR/apt.log"
  fi
  # Where systemd runs, the packages enabled their services: they would start at the next boot, on
  # all interfaces, on the ports this script uses. Only the units of packages installed just now.
  if [ -d /run/systemd/system ]; then
    for pkg in "${missing[@]}"; do
      case "$pkg" in
        prometheus | prometheus-alertmanager | rabbitmq-server) systemctl disable --now "$pkg" >>"$AIOS_LOG_DIR/apt.log" 2>&1 || true ;;
      esac
    done
  fi
}

# Pid files hold pids of this boot only: after a machine restart the same numbers may belong to
# unrelated processes. pids/boot-id records the boot the pid files were written in (pid dirs older
# than this check have none: trusted as before).
pids_from_this_boot() {
  local recorded
  recorded=$(cat "$AIOS_PID_DIR/boot-id" 2>/dev/null) || return 0
  [ "$recorded" = "$(cat /proc/sys/kernel/random/boot_id)" ]
}

# Called by up/down once they hold the lock: drops the pid files of a previous boot.
forget_previous_boot() {
  if ! pids_from_this_boot; then
    log "the machine restarted since the services last ran: their pid files are stale, dropping them"
    rm -f "$AIOS_PID_DIR"/*.pid
  fi
  cat /proc/sys/kernel/random/boot_id >"$AIOS_PID_DIR/boot-id"
}

# Starts a command in its own session, detached, and records its pid as "started by us".
spawn() {
  local name=$1 logfile=$2
  shift 2
  setsid nohup "$@" >>"$logfile" 2>&1 </dev/null 9>&- &
  echo $! >"$AIOS_PID_DIR/$name.pid"
}

# A killed daemon can linger as a zombie until init reaps it; kill -0 still succeeds then.
pid_alive() {
  local file="$AIOS_PID_DIR/$1.pid" pid state
  [ -f "$file" ] || return 1
  pids_from_this_boot || return 1
  pid=$(cat "$file")
  kill -0 "$pid" 2>/dev/null || return 1
  state=$(awk '{print $3}' "/proc/$pid/stat" 2>/dev/null)
  [ -n "$state" ] && [ "$state" != Z ]
}

# Stops a process we started (and only those: the pid file is our record) and waits for it.
stop_pid() {
  local name=$1 file="$AIOS_PID_DIR/$1.pid" pid _
  [ -f "$file" ] || return 0
  pid=$(cat "$file")
  if pid_alive "$name"; then
    kill -TERM "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do
      pid_alive "$name" || break
      sleep 0.2
    done
    if pid_alive "$name"; then
      log "$name (pid $pid) ignored SIGTERM for 10 s; killing it"
      kill -KILL "$pid" 2>/dev/null || true
    fi
  fi
  rm -f "$file"
}

port_open() { (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }

# wait_until SECONDS DESCRIPTION LOGFILE COMMAND...: polls COMMAND every 0.25 s; on timeout names
# the service and shows the end of its log.
wait_until() {
  local seconds=$1 what=$2 logfile=$3 deadline
  shift 3
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'services: error: %s did not come up within %s s; last lines of %s:\n' "$what" "$seconds" "$logfile" >&2
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.25
  done
}

# wait_daemon NAME SECONDS DESCRIPTION LOGFILE COMMAND...: like wait_until, for a daemon this
# script spawned as NAME; fails at once when that process exits instead of waiting out the time.
wait_daemon() {
  local name=$1 seconds=$2 what=$3 logfile=$4 deadline
  shift 4
  deadline=$((SECONDS + seconds))
  until "$@" >/dev/null 2>&1; do
    if ! pid_alive "$name"; then
      printf 'services: error: %s exited while starting; last lines of %s:\n' "$what" "$logfile" >&2
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      printf 'services: error: %s did not come up within %s s; last lines of %s:\n' "$what" "$seconds" "$logfile" >&2
      tail -n 20 "$logfile" >&2 2>/dev/null || true
      return 1
    fi
    sleep 0.25
  done
}
