# shellcheck shell=bash
# Prometheus (Debian's 2.42) on 127.0.0.1:9090, scraping RabbitMQ's Prometheus plugin and the
# project's own /metrics endpoints, which register themselves as file_sd target files.

PROM_DIR="$AIOS_STATE_DIR/prometheus"
PROM_TARGETS_DIR="$PROM_DIR/targets"
PROM_LOG="$AIOS_LOG_DIR/prometheus.log"
PROM_URL=http://127.0.0.1:9090

prometheus_ready() { curl -fs "$PROM_URL/-/ready" >/dev/null; }

prometheus_rabbitmq_target_up() {
  curl -fsS "$PROM_URL/api/v1/targets?state=active" | grep -q '"job":"rabbitmq".*"health":"up"\|"health":"up".*"job":"rabbitmq"'
}

# Writes config and rules from observability/prometheus; returns 0 when they changed.
prometheus_write_config() {
  local repo=$1 staged
  mkdir -p "$PROM_DIR/data" "$PROM_TARGETS_DIR"
  staged=$(mktemp -d)
  cp "$repo/observability/prometheus/alerts.yml" "$staged/alerts.yml"
  sed "s#@TARGETS_DIR@#$PROM_TARGETS_DIR#g" "$repo/observability/prometheus/prometheus.yml" >"$staged/prometheus.yml"
  promtool check config "$staged/prometheus.yml" >>"$PROM_LOG" 2>&1 ||
    die "prometheus: config or rules in observability/prometheus are invalid; see $PROM_LOG"
  if cmp -s "$staged/prometheus.yml" "$PROM_DIR/prometheus.yml" && cmp -s "$staged/alerts.yml" "$PROM_DIR/alerts.yml"; then
    rm -rf "$staged"
    return 1
  fi
  mv "$staged/prometheus.yml" "$staged/alerts.yml" "$PROM_DIR/"
  rm -rf "$staged"
}

prometheus_up() {
  local repo=$1
  ensure_packages prometheus curl
  local changed=false
  prometheus_write_config "$repo" && changed=true
  if prometheus_ready; then
    if [ "$changed" = true ]; then
      log "prometheus: config or rules changed; reloading"
      curl -fsS -X POST "$PROM_URL/-/reload" >/dev/null || die "prometheus: reload failed; see $PROM_LOG"
    else
      log "prometheus: already up on $PROM_URL"
    fi
  else
    log "prometheus: starting on $PROM_URL"
    spawn prometheus "$PROM_LOG" /usr/bin/prometheus --config.file="$PROM_DIR/prometheus.yml" \
      --storage.tsdb.path="$PROM_DIR/data" --storage.tsdb.retention.time=2d \
      --web.listen-address=127.0.0.1:9090 --web.enable-lifecycle
    wait_until 60 "prometheus" "$PROM_LOG" prometheus_ready || exit 1
  fi
  # Polls for the first successful scrape rather than sleeping a guessed time.
  wait_until 60 "prometheus' first scrape of rabbitmq" "$PROM_LOG" prometheus_rabbitmq_target_up || exit 1
}

prometheus_down() {
  if pid_alive prometheus; then log "prometheus: stopping"; fi
  stop_pid prometheus
}

prometheus_status() {
  if prometheus_ready; then
    echo "prometheus  up    $PROM_URL  (targets dir $PROM_TARGETS_DIR)"
  else
    echo "prometheus  down"
    return 1
  fi
}

prometheus_env() {
  printf 'export AIOS_PROMETHEUS_URL=%s\n' "$PROM_URL"
  printf 'export AIOS_PROMETHEUS_TARGETS_DIR=%s\n' "$PROM_TARGETS_DIR"
}
