#!/usr/bin/env bash
# Real local services without Docker, from Debian's packages, on 127.0.0.1 only:
#   RabbitMQ (5672, management 15672, Prometheus plugin 15692), Ceph RGW as S3 (7480), Prometheus (9090).
#
#   scripts/services.sh up [rabbitmq|rgw|prometheus ...]   start what is not running (idempotent)
#   scripts/services.sh down [rabbitmq|rgw|prometheus ...] stop what this script started (`down rgw`
#                                                           stops only the gateway; `down` the whole cluster)
#   scripts/services.sh status                              one line per service; exit 1 if one is down
#   scripts/services.sh env                                 `export` lines for the SDK, the CLI and the tests
#
# State (configs, pid files, generated S3 keys) lives in /var/lib/aios-services, logs in
# /var/log/aios-services: machine-wide, so any clone of the repository sees the same services.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/services/common.sh
. "$repo/scripts/services/common.sh"
. "$repo/scripts/services/rabbitmq.sh"
. "$repo/scripts/services/rgw.sh"
. "$repo/scripts/services/prometheus.sh"

all=(rabbitmq rgw prometheus)

check_names() {
  local name
  for name in "$@"; do
    case "$name" in rabbitmq | rgw | prometheus) ;; *) die "unknown service '$name' (known: ${all[*]})" ;; esac
  done
}

cmd=${1:-}
[ "$#" -gt 0 ] && shift
services=("$@")
[ "${#services[@]}" -gt 0 ] || services=("${all[@]}")
check_names "${services[@]}"

case "$cmd" in
  up)
    require_root
    prepare_dirs
    started=$SECONDS
    for s in "${services[@]}"; do
      case "$s" in
        rabbitmq) rabbitmq_up ;;
        rgw) rgw_up ;;
        prometheus) prometheus_up "$repo" ;;
      esac
    done
    log "up in $((SECONDS - started)) s"
    ;;
  down)
    require_root
    prepare_dirs
    # Reverse order: Prometheus scrapes the others.
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
      case "${services[$i]}" in
        rabbitmq) rabbitmq_down ;;
        rgw) if [ "$#" -eq 0 ]; then rgw_down cluster; else rgw_down gateway; fi ;;
        prometheus) prometheus_down ;;
      esac
    done
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do "${s}_status" || rc=1; done
    exit "$rc"
    ;;
  env)
    printf 'export AIOS_AMQP_URL=%s\n' "amqp://guest:guest@127.0.0.1:5672/aios"
    printf 'export AIOS_RABBITMQ_API_URL=%s\n' "http://guest:guest@127.0.0.1:15672"
    rgw_env
    prometheus_env
    ;;
  *)
    sed -n '2,13p' "$0" | sed 's/^# \{0,1\}//'
    [ -z "$cmd" ] || exit 2
    ;;
esac
