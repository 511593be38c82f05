# shellcheck shell=bash
# Prometheus (Debian's 2.42 binary, not Debian's service) on 127.0.0.1:9090, scraping RabbitMQ's
# Prometheus plugin, itself, and the project's own /metrics endpoints, which register themselves
# as file_sd target files in $PROM_TARGETS_DIR, and sending alerts to the Alertmanager of
# alertmanager.sh. Config, retention flags and alert rules: observability/prometheus/ (prometheus.yml
# and retention.flags are generated from config/observability.yaml).

PROM_DIR="$AIOS_STATE_DIR/prometheus"
PROM_TARGETS_DIR="$PROM_DIR/targets"
PROM_LOG="$AIOS_LOG_DIR/prometheus.log"
PROM_URL="http://127.0.0.1:$AIOS_PROMETHEUS_PORT"

# Debian packages it needs (installed by `up` in one apt transaction).
# shellcheck disable=SC2034 # read by scripts/services.sh
PROMETHEUS_PACKAGES=(prometheus curl)

prometheus_ready() { curl -fs -m 5 "$PROM_URL/-/ready" >/dev/null; }

# True once the rabbitmq job's target has been scraped successfully (health "up").
prometheus_rabbitmq_target_up() {
  curl -fsS -m 5 "$PROM_URL/api/v1/targets?state=active&scrapePool=rabbitmq" | grep '"health":"up"' >/dev/null
}

# Renders config and rules from observability/prometheus into the state dir (ports substituted when
# overridden); returns 0 when they changed.
prometheus_write_config() {
  local repo=$1 staged
  mkdir -p "$PROM_DIR/data" "$PROM_TARGETS_DIR"
  staged=$(mktemp -d)
  cp "$repo/observability/prometheus/alerts.yml" "$staged/alerts.yml"
  sed -e "s#@TARGETS_DIR@#$PROM_TARGETS_DIR#g" \
    -e "s#127\.0\.0\.1:9090#127.0.0.1:$AIOS_PROMETHEUS_PORT#g" \
    -e "s#127\.0\.0\.1:15692#127.0.0.1:$AIOS_RABBITMQ_PROMETHEUS_PORT#g" \
    -e "s#127\.0\.0\.1:9093#127.0.0.1:$AIOS_ALERTMANAGER_PORT#g" \
    "$repo/observability/prometheus/prometheus.yml" >"$staged/prometheus.yml"
  if ! promtool check config "$staged/prometheus.yml" >>"$PROM_LOG" 2>&1; then
    tail -n 10 "$PROM_LOG" >&2
    rm -rf "$staged"
    die "prometheus: observability/prometheus/prometheus.yml or alerts.yml is invalid (promtool check config); see $PROM_LOG"
  fi
  if cmp -s "$staged/prometheus.yml" "$PROM_DIR/prometheus.yml" && cmp -s "$staged/alerts.yml" "$PROM_DIR/alerts.yml"; then
    rm -rf "$staged"
    return 1
  fi
  mv "$staged/prometheus.yml" "$staged/alerts.yml" "$PROM_DIR/"
  rm -rf "$staged"
}

# The retention flags of observability/prometheus/retention.flags (one per line, # comments).
prometheus_retention_flags() {
  grep -v '^#' "$1/observability/prometheus/retention.flags" | grep -v '^$'
}

prometheus_up() {
  local repo=$1 changed=false started=false flags=() flag value
  mapfile -t flags < <(prometheus_retention_flags "$repo")
  if prometheus_write_config "$repo"; then changed=true; fi
  if prometheus_ready; then
    # Debian's prometheus service (enabled by the package where systemd runs) would answer too, with
    # its own config; reloading that one would change nothing.
    if ! curl -fsS -m 5 "$PROM_URL/api/v1/status/flags" | grep -F "\"config.file\":\"$PROM_DIR/prometheus.yml\"" >/dev/null; then
      die "prometheus: the Prometheus on $PROM_URL does not use $PROM_DIR/prometheus.yml (Debian's prometheus service? stop and disable it: systemctl disable --now prometheus)"
    fi
    if [ "$changed" = true ]; then
      log "prometheus: config or rules changed; reloading"
      curl -fsS -m 10 -X POST "$PROM_URL/-/reload" >/dev/null || die "prometheus: reload failed; see $PROM_LOG"
    else
      log "prometheus: already up on $PROM_URL"
    fi
    # Retention is a command-line flag: a reload cannot change it.
    for flag in "${flags[@]}"; do
      flag=${flag#--} value=${flag#*=}
      # Prometheus reports sizes in binary units: 2GB is shown as 2GiB.
      if [[ $value =~ [KMGTP]B$ ]]; then value="${value%B}iB"; fi
      curl -fsS -m 5 "$PROM_URL/api/v1/status/flags" | grep -F "\"${flag%%=*}\":\"$value\"" >/dev/null ||
        log "prometheus: running without --$flag (observability/prometheus/retention.flags); restart it to apply: down prometheus, up prometheus"
    done
  else
    port_open "$AIOS_PROMETHEUS_PORT" &&
      die "prometheus: port $AIOS_PROMETHEUS_PORT is taken by a process that is not a ready Prometheus (Debian's prometheus service?)"
    log "prometheus: starting on $PROM_URL (log $PROM_LOG)"
    started=true
    spawn prometheus "$PROM_LOG" /usr/bin/prometheus --config.file="$PROM_DIR/prometheus.yml" \
      --storage.tsdb.path="$PROM_DIR/data" "${flags[@]}" \
      --web.listen-address="127.0.0.1:$AIOS_PROMETHEUS_PORT" --web.enable-lifecycle
    wait_daemon prometheus 60 "prometheus" "$PROM_LOG" prometheus_ready ||
      die "prometheus did not start; see $PROM_LOG"
  fi
  # Polls for the first successful scrape of RabbitMQ rather than sleeping a guessed time.
  wait_until 60 "prometheus' first successful scrape of rabbitmq (see $PROM_URL/targets)" "$PROM_LOG" \
    prometheus_rabbitmq_target_up || die "prometheus: the rabbitmq target is not up; see $PROM_URL/targets and $PROM_LOG"
  if [ "$started" = true ]; then log "prometheus: up on $PROM_URL, rabbitmq target scraped"; fi
}

prometheus_down() {
  if pid_alive prometheus; then log "prometheus: stopping"; fi
  stop_pid prometheus
}

prometheus_reset() {
  prometheus_down
  if [ -d "$PROM_DIR/data" ]; then
    log "prometheus: WIPING its history ($PROM_DIR/data)"
    rm -rf "$PROM_DIR/data"
  else
    log "prometheus: no history in $PROM_DIR/data: nothing to wipe"
  fi
}

prometheus_status() {
  if prometheus_ready; then
    printf '%-11s up    %s  (targets dir %s)\n' prometheus "$PROM_URL" "$PROM_TARGETS_DIR"
  else
    printf '%-11s down  (log %s)\n' prometheus "$PROM_LOG"
    return 1
  fi
}

prometheus_env() {
  printf 'export AIOS_PROMETHEUS_URL=%s\n' "$PROM_URL"
  printf 'export AIOS_PROMETHEUS_TARGETS_DIR=%s\n' "$PROM_TARGETS_DIR"
}
