# shellcheck shell=bash
# Alertmanager (Debian's prometheus-alertmanager binary, not Debian's service) on 127.0.0.1:9093,
# receiving the alerts of the Prometheus of prometheus.sh and routing them by severity to a
# webhook. Config: observability/alertmanager/alertmanager.yml (its webhook URL replaced by
# AIOS_ALERT_WEBHOOK_URL when set). Clustering is off: its gossip port would listen on all
# interfaces.

AM_DIR="$AIOS_STATE_DIR/alertmanager"
AM_LOG="$AIOS_LOG_DIR/alertmanager.log"
AM_URL="http://127.0.0.1:$AIOS_ALERTMANAGER_PORT"
# The receiver URL written in observability/alertmanager/alertmanager.yml.
AM_DEFAULT_WEBHOOK_URL="http://127.0.0.1:9095/alerts"

# Debian packages it needs (installed by `up` in one apt transaction); amtool ships with it.
# shellcheck disable=SC2034 # read by scripts/services.sh
ALERTMANAGER_PACKAGES=(prometheus-alertmanager curl)

alertmanager_ready() { curl -fs -m 5 "$AM_URL/-/ready" >/dev/null; }

# Renders observability/alertmanager/alertmanager.yml into the state dir (webhook URL substituted
# when overridden), checked by amtool; returns 0 when it changed.
alertmanager_write_config() {
  local repo=$1 staged
  mkdir -p "$AM_DIR/data"
  staged=$(mktemp)
  sed -e "s#$AM_DEFAULT_WEBHOOK_URL#${AIOS_ALERT_WEBHOOK_URL:-$AM_DEFAULT_WEBHOOK_URL}#g" \
    "$repo/observability/alertmanager/alertmanager.yml" >"$staged"
  if ! amtool check-config "$staged" >>"$AM_LOG" 2>&1; then
    tail -n 10 "$AM_LOG" >&2
    rm -f "$staged"
    die "alertmanager: observability/alertmanager/alertmanager.yml is invalid (amtool check-config); see $AM_LOG"
  fi
  if cmp -s "$staged" "$AM_DIR/alertmanager.yml"; then
    rm -f "$staged"
    return 1
  fi
  chmod 600 "$staged"
  mv "$staged" "$AM_DIR/alertmanager.yml"
}

alertmanager_up() {
  local repo=$1 changed=false
  if alertmanager_write_config "$repo"; then changed=true; fi
  if alertmanager_ready; then
    # Debian's prometheus-alertmanager service (enabled by the package where systemd runs) would
    # answer too, with its own config; reloading that one would change nothing.
    if ! pid_alive alertmanager; then
      die "alertmanager: the Alertmanager on $AM_URL was not started by this script (Debian's prometheus-alertmanager service? stop and disable it: systemctl disable --now prometheus-alertmanager)"
    fi
    if [ "$changed" = true ]; then
      log "alertmanager: config changed; reloading"
      curl -fsS -m 10 -X POST "$AM_URL/-/reload" >/dev/null || die "alertmanager: reload failed; see $AM_LOG"
    else
      log "alertmanager: already up on $AM_URL"
    fi
    return 0
  fi
  port_open "$AIOS_ALERTMANAGER_PORT" &&
    die "alertmanager: port $AIOS_ALERTMANAGER_PORT is taken by a process that is not a ready Alertmanager (Debian's prometheus-alertmanager service?)"
  log "alertmanager: starting on $AM_URL (log $AM_LOG)"
  spawn alertmanager "$AM_LOG" /usr/bin/prometheus-alertmanager --config.file="$AM_DIR/alertmanager.yml" \
    --storage.path="$AM_DIR/data" --web.listen-address="127.0.0.1:$AIOS_ALERTMANAGER_PORT" \
    --web.external-url="$AM_URL" --cluster.listen-address=
  wait_daemon alertmanager 60 "alertmanager" "$AM_LOG" alertmanager_ready ||
    die "alertmanager did not start; see $AM_LOG"
  log "alertmanager: up on $AM_URL"
}

alertmanager_down() {
  if pid_alive alertmanager; then log "alertmanager: stopping"; fi
  stop_pid alertmanager
}

alertmanager_status() {
  if alertmanager_ready; then
    printf '%-11s up    %s  (config %s)\n' alertmanager "$AM_URL" "$AM_DIR/alertmanager.yml"
  else
    printf '%-11s down  (log %s)\n' alertmanager "$AM_LOG"
    return 1
  fi
}

alertmanager_env() {
  printf 'export AIOS_ALERTMANAGER_URL=%s\n' "$AM_URL"
}
