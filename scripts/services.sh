#!/usr/bin/env bash
# Real local services without Docker, from Debian's packages, on 127.0.0.1 only:
#   RabbitMQ (5672, management 15672, Prometheus plugin 15692), Ceph RGW as S3 (7480), Prometheus (9090),
#   Alertmanager (9093).
#
#   scripts/services.sh up [rabbitmq|rgw|ceph|prometheus|alertmanager ...]   start what is not running (idempotent)
#   scripts/services.sh down [--purge] [rabbitmq|rgw|ceph|prometheus|alertmanager ...] stop what this
#                                            script started, keeping every service's data; `down rgw` stops
#                                            only the gateway, `down ceph` or `down` the whole Ceph cluster;
#                                            --purge also deletes the data (as `reset`)
#   scripts/services.sh reset [service ...]   stop and WIPE: Ceph's buckets and objects, Prometheus'
#                                            history, the own RabbitMQ node's Mnesia (S3 keys are kept)
#   scripts/services.sh status [service ...]  one line per service; exit 1 if one is down
#   scripts/services.sh env                   `export` lines for the SDK, the CLI and the tests
#
# State (configs, pid files, S3 keys, Ceph's data) lives in /var/lib/aios-services, logs in
# /var/log/aios-services: machine-wide, so every clone of the repository sees the same services.
# See docs/services.md.
set -euo pipefail
repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
# shellcheck source=scripts/services/common.sh
. "$repo/scripts/services/common.sh"
# shellcheck source=scripts/services/rabbitmq.sh
. "$repo/scripts/services/rabbitmq.sh"
# shellcheck source=scripts/services/rgw.sh
. "$repo/scripts/services/rgw.sh"
# shellcheck source=scripts/services/prometheus.sh
. "$repo/scripts/services/prometheus.sh"
# shellcheck source=scripts/services/alertmanager.sh
. "$repo/scripts/services/alertmanager.sh"

all=(rabbitmq rgw prometheus alertmanager)

usage() { sed -n '2,18p' "${BASH_SOURCE[0]}" | sed 's/^# \{0,1\}//'; }

# `ceph` names the same service as `rgw`; only `down` tells them apart.
check_names() {
  local name
  for name in "$@"; do
    case "$name" in
      rabbitmq | rgw | ceph | prometheus | alertmanager) ;;
      *) die "unknown service '$name' (known: rabbitmq, rgw, ceph, prometheus, alertmanager)" ;;
    esac
  done
}

# Brings services up: packages first (one apt transaction), then the Ceph cluster in parallel with
# RabbitMQ and, after RabbitMQ (whose first scrape it waits for), Prometheus.
up_services() {
  local want_rabbitmq=false want_rgw=false want_prometheus=false want_alertmanager=false s packages=()
  for s in "$@"; do
    case "$s" in
      rabbitmq) want_rabbitmq=true packages+=("${RABBITMQ_PACKAGES[@]}") ;;
      rgw | ceph) want_rgw=true packages+=("${RGW_PACKAGES[@]}") ;;
      prometheus) want_prometheus=true packages+=("${PROMETHEUS_PACKAGES[@]}") ;;
      alertmanager) want_alertmanager=true packages+=("${ALERTMANAGER_PACKAGES[@]}") ;;
    esac
  done
  ensure_packages "${packages[@]}"
  local jobs=() names=() failed=() i
  if [ "$want_rgw" = true ]; then
    (rgw_up) &
    jobs+=($!) names+=(rgw)
  fi
  if [ "$want_alertmanager" = true ]; then
    (alertmanager_up "$repo") &
    jobs+=($!) names+=(alertmanager)
  fi
  if [ "$want_rabbitmq" = true ] || [ "$want_prometheus" = true ]; then
    (
      if [ "$want_rabbitmq" = true ]; then rabbitmq_up; fi
      if [ "$want_prometheus" = true ]; then prometheus_up "$repo"; fi
    ) &
    jobs+=($!)
    if [ "$want_prometheus" = true ] && [ "$want_rabbitmq" = true ]; then names+=("rabbitmq/prometheus")
    elif [ "$want_rabbitmq" = true ]; then names+=(rabbitmq)
    else names+=(prometheus); fi
  fi
  for i in "${!jobs[@]}"; do
    wait "${jobs[$i]}" || failed+=("${names[$i]}")
  done
  [ "${#failed[@]}" -eq 0 ] || die "up failed: ${failed[*]} (see the errors above)"
}

cmd=${1:-}
[ "$#" -gt 0 ] && shift
purge=false
if [ "$cmd" = down ] && [ "${1:-}" = --purge ]; then
  purge=true
  shift
fi
services=("$@")
[ "${#services[@]}" -gt 0 ] || services=("${all[@]}")
check_names "${services[@]}"

case "$cmd" in
  up)
    require_root
    prepare_dirs
    take_lock
    forget_previous_boot
    started=${EPOCHREALTIME/[.,]/}
    up_services "${services[@]}"
    elapsed_ms=$(((${EPOCHREALTIME/[.,]/} - started) / 1000))
    log "up: ${services[*]} ready in $((elapsed_ms / 1000)).$(printf '%03d' $((elapsed_ms % 1000))) s"
    ;;
  down | reset)
    require_root
    prepare_dirs
    take_lock
    forget_previous_boot
    [ "$cmd" = reset ] && purge=true
    # Reverse order: Prometheus scrapes the others.
    for ((i = ${#services[@]} - 1; i >= 0; i--)); do
      case "${services[$i]}:$purge" in
        rabbitmq:false) rabbitmq_down ;;
        rabbitmq:true) rabbitmq_reset ;;
        rgw:false) if [ "$#" -eq 0 ]; then rgw_down cluster; else rgw_down gateway; fi ;;
        rgw:true | ceph:true) rgw_reset ;;
        ceph:false) rgw_down cluster ;;
        prometheus:false) prometheus_down ;;
        prometheus:true) prometheus_reset ;;
        # Alertmanager keeps only silences and its notification log: nothing worth a reset of its own.
        alertmanager:*) alertmanager_down ;;
      esac
    done
    ;;
  status)
    rc=0
    for s in "${services[@]}"; do
      case "$s" in
        rabbitmq) rabbitmq_status || rc=1 ;;
        rgw | ceph) rgw_status || rc=1 ;;
        prometheus) prometheus_status || rc=1 ;;
        alertmanager) alertmanager_status || rc=1 ;;
      esac
    done
    exit "$rc"
    ;;
  env)
    rabbitmq_env
    rgw_env
    prometheus_env
    alertmanager_env
    ;;
  -h | --help | help)
    usage
    ;;
  *)
    usage >&2
    exit 2
    ;;
esac
