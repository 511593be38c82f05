# shellcheck shell=bash
# RabbitMQ: reuses a node already listening on the AMQP port (this machine starts one before the
# session, and `down` never stops a node it did not start); otherwise starts its own node, bound to
# 127.0.0.1, with its config, plugins, data, Erlang cookie and logs under the state dir. Enables the
# management and Prometheus plugins and creates the `aios` vhost config/messaging.yaml uses.

# The /usr/sbin wrappers switch to the rabbitmq user and drop RABBITMQ_* settings; these don't.
RABBITMQ_BIN=/usr/lib/rabbitmq/bin
RABBITMQ_DIR="$AIOS_STATE_DIR/rabbitmq"
RABBITMQ_LOG="$AIOS_LOG_DIR/rabbitmq.log"
RABBITMQ_PIDFILE="$RABBITMQ_DIR/rabbit.pid"
# Not rabbit@localhost: that is the name Debian's own service uses.
RABBITMQ_NODE="aios-$AIOS_RABBITMQ_PORT@localhost"
RABBITMQ_API="http://127.0.0.1:$AIOS_RABBITMQ_MANAGEMENT_PORT"
RABBITMQ_METRICS="http://127.0.0.1:$AIOS_RABBITMQ_PROMETHEUS_PORT/metrics"

# Debian packages it needs (installed by `up` in one apt transaction).
# shellcheck disable=SC2034 # read by scripts/services.sh
RABBITMQ_PACKAGES=(rabbitmq-server curl)

rabbitmq_api_ok() { curl -fsS -m 5 -u guest:guest "$RABBITMQ_API/api/overview" >/dev/null; }
rabbitmq_metrics_ok() { curl -fsS -m 5 "$RABBITMQ_METRICS" >/dev/null; }

# The environment of the node this script starts (its own HOME holds its Erlang cookie).
rabbitmq_node_env() {
  printf '%s\n' \
    "HOME=$RABBITMQ_DIR" \
    "RABBITMQ_NODENAME=$RABBITMQ_NODE" \
    "RABBITMQ_CONF_ENV_FILE=$RABBITMQ_DIR/rabbitmq-env.conf" \
    "RABBITMQ_CONFIG_FILE=$RABBITMQ_DIR/rabbitmq.conf" \
    "RABBITMQ_ENABLED_PLUGINS_FILE=$RABBITMQ_DIR/enabled_plugins" \
    "RABBITMQ_MNESIA_BASE=$RABBITMQ_DIR/mnesia" \
    "RABBITMQ_LOG_BASE=$AIOS_LOG_DIR/rabbitmq" \
    "RABBITMQ_PID_FILE=$RABBITMQ_PIDFILE" \
    "RABBITMQ_NODE_IP_ADDRESS=127.0.0.1" \
    "RABBITMQ_NODE_PORT=$AIOS_RABBITMQ_PORT" \
    "RABBITMQ_DIST_PORT=$((AIOS_RABBITMQ_PORT + 20000))" \
    "RABBITMQ_SERVER_ADDITIONAL_ERL_ARGS=-kernel inet_dist_use_interface {127,0,0,1}" \
    "ERL_EPMD_ADDRESS=127.0.0.1"
}

# Runs a command (rabbitmq-server, rabbitmqctl, ...) with that environment.
own_rabbit() {
  local vars=()
  mapfile -t vars < <(rabbitmq_node_env)
  env "${vars[@]}" "$@"
}

rabbitmq_write_config() {
  mkdir -p "$RABBITMQ_DIR/mnesia" "$AIOS_LOG_DIR/rabbitmq"
  # Debian's /etc/rabbitmq/rabbitmq-env.conf would rename the node; this one is empty on purpose.
  echo "# scripts/services.sh: settings come from the environment" >"$RABBITMQ_DIR/rabbitmq-env.conf"
  cat >"$RABBITMQ_DIR/rabbitmq.conf" <<CONF
# Written by scripts/services.sh. Every listener on 127.0.0.1 only.
listeners.tcp.1 = 127.0.0.1:$AIOS_RABBITMQ_PORT
management.tcp.ip = 127.0.0.1
management.tcp.port = $AIOS_RABBITMQ_MANAGEMENT_PORT
prometheus.tcp.ip = 127.0.0.1
prometheus.tcp.port = $AIOS_RABBITMQ_PROMETHEUS_PORT
CONF
  # Enabled before the first boot, so the node starts with them (no second step, no restart).
  echo "[rabbitmq_management,rabbitmq_prometheus]." >"$RABBITMQ_DIR/enabled_plugins"
}

rabbitmq_start() {
  log "rabbitmq: starting node $RABBITMQ_NODE on 127.0.0.1:$AIOS_RABBITMQ_PORT (log $RABBITMQ_LOG)"
  port_open "$AIOS_RABBITMQ_MANAGEMENT_PORT" &&
    die "rabbitmq: port $AIOS_RABBITMQ_MANAGEMENT_PORT (management) is taken by another process, but nothing listens on $AIOS_RABBITMQ_PORT"
  rabbitmq_write_config
  rm -f "$RABBITMQ_PIDFILE"
  local vars=()
  mapfile -t vars < <(rabbitmq_node_env)
  spawn rabbitmq "$RABBITMQ_LOG" env "${vars[@]}" "$RABBITMQ_BIN/rabbitmq-server"
  # rabbitmq-server writes the Erlang VM's pid to its pid file; that is the process `down` stops,
  # so it replaces the recorded one.
  local _
  for _ in $(seq 1 80); do
    [ -s "$RABBITMQ_PIDFILE" ] && break
    pid_alive rabbitmq || break
    sleep 0.25
  done
  # `await_startup` fails at once while the node has not registered with epmd; `wait` waits.
  if ! own_rabbit timeout 90 "$RABBITMQ_BIN/rabbitmqctl" wait --timeout 90 "$RABBITMQ_PIDFILE" >>"$RABBITMQ_LOG" 2>&1; then
    tail -n 20 "$RABBITMQ_LOG" >&2 || true
    stop_pid rabbitmq # a half-started node would hold the ports for the next attempt
    die "rabbitmq: node $RABBITMQ_NODE did not start; see $RABBITMQ_LOG and $AIOS_LOG_DIR/rabbitmq/"
  fi
  cp "$RABBITMQ_PIDFILE" "$AIOS_PID_DIR/rabbitmq.pid"
}

rabbitmq_enable_plugins() {
  log "rabbitmq: enabling rabbitmq_management and rabbitmq_prometheus"
  if pid_alive rabbitmq; then
    own_rabbit "$RABBITMQ_BIN/rabbitmq-plugins" enable rabbitmq_management rabbitmq_prometheus >>"$RABBITMQ_LOG" 2>&1 ||
      die "rabbitmq: enabling plugins failed; see $RABBITMQ_LOG"
  else
    # A node someone else started (Debian's service): its wrapper runs as the rabbitmq user with
    # that node's Erlang cookie and settings.
    /usr/sbin/rabbitmq-plugins enable rabbitmq_management rabbitmq_prometheus >>"$RABBITMQ_LOG" 2>&1 ||
      die "rabbitmq: enabling plugins on the node listening on $AIOS_RABBITMQ_PORT failed (it was not started by this script); see $RABBITMQ_LOG"
  fi
}

rabbitmq_up() {
  local fresh=false
  if port_open "$AIOS_RABBITMQ_PORT"; then
    if ! pid_alive rabbitmq; then rm -f "$AIOS_PID_DIR/rabbitmq.pid"; fi
  else
    rm -f "$AIOS_PID_DIR/rabbitmq.pid"
    rabbitmq_start
    fresh=true
  fi
  if ! rabbitmq_api_ok || ! rabbitmq_metrics_ok; then
    # The plugins start a few seconds after the node on a fresh boot: only enable them if they
    # are still missing after that.
    if [ "$fresh" = true ]; then
      wait_until 30 "rabbitmq management plugin" "$RABBITMQ_LOG" rabbitmq_api_ok || true
    fi
    if ! rabbitmq_api_ok || ! rabbitmq_metrics_ok; then rabbitmq_enable_plugins; fi
  fi
  wait_until 60 "rabbitmq management API ($RABBITMQ_API)" "$RABBITMQ_LOG" rabbitmq_api_ok ||
    die "rabbitmq: the management API does not answer; see $RABBITMQ_LOG"
  wait_until 30 "rabbitmq Prometheus endpoint ($RABBITMQ_METRICS)" "$RABBITMQ_LOG" rabbitmq_metrics_ok ||
    die "rabbitmq: the Prometheus plugin does not answer; see $RABBITMQ_LOG"
  if ! curl -fsS -m 5 -u guest:guest "$RABBITMQ_API/api/vhosts/aios" >/dev/null 2>&1; then
    log "rabbitmq: creating vhost aios"
    curl -fsS -m 10 -u guest:guest -X PUT "$RABBITMQ_API/api/vhosts/aios" >/dev/null ||
      die "rabbitmq: cannot create vhost aios through $RABBITMQ_API"
  fi
  curl -fsS -m 10 -u guest:guest -X PUT -H 'content-type: application/json' \
    -d '{"configure":".*","write":".*","read":".*"}' "$RABBITMQ_API/api/permissions/aios/guest" >/dev/null ||
    die "rabbitmq: cannot grant guest full permissions on vhost aios through $RABBITMQ_API"
  if [ "$fresh" = true ]; then
    log "rabbitmq: up on 127.0.0.1:$AIOS_RABBITMQ_PORT (node $RABBITMQ_NODE; management $RABBITMQ_API)"
  else
    if pid_alive rabbitmq; then
      log "rabbitmq: already up on 127.0.0.1:$AIOS_RABBITMQ_PORT (node $RABBITMQ_NODE, started by this script)"
    else
      log "rabbitmq: already up on 127.0.0.1:$AIOS_RABBITMQ_PORT (a node this script did not start; reused, never stopped)"
    fi
  fi
}

rabbitmq_down() {
  if pid_alive rabbitmq; then
    log "rabbitmq: stopping node $RABBITMQ_NODE (started by this script)"
    own_rabbit timeout 60 "$RABBITMQ_BIN/rabbitmqctl" stop "$RABBITMQ_PIDFILE" >>"$RABBITMQ_LOG" 2>&1 || true
    stop_pid rabbitmq
  else
    rm -f "$AIOS_PID_DIR/rabbitmq.pid"
    if port_open "$AIOS_RABBITMQ_PORT"; then
      log "rabbitmq: the node on 127.0.0.1:$AIOS_RABBITMQ_PORT was not started by this script; left running"
    fi
  fi
}

# Wipes the node this script runs (its Mnesia: vhosts, queues, messages). A node someone else
# started is not ours to wipe: it is left alone, and said so.
rabbitmq_reset() {
  if ! pid_alive rabbitmq && port_open "$AIOS_RABBITMQ_PORT"; then
    log "rabbitmq: the node on 127.0.0.1:$AIOS_RABBITMQ_PORT was not started by this script: not wiping it (delete its vhosts yourself)"
    return 0
  fi
  rabbitmq_down
  if [ -d "$RABBITMQ_DIR/mnesia" ]; then
    log "rabbitmq: WIPING node $RABBITMQ_NODE: every vhost, queue and message ($RABBITMQ_DIR/mnesia)"
    rm -rf "$RABBITMQ_DIR/mnesia"
  else
    log "rabbitmq: no data in $RABBITMQ_DIR/mnesia: nothing to wipe"
  fi
}

rabbitmq_status() {
  local who="not started by services.sh"
  pid_alive rabbitmq && who="started by services.sh"
  if port_open "$AIOS_RABBITMQ_PORT" && rabbitmq_api_ok; then
    printf '%-11s up    amqp://127.0.0.1:%s/aios  management %s  metrics %s  (%s)\n' \
      rabbitmq "$AIOS_RABBITMQ_PORT" "$RABBITMQ_API" "$RABBITMQ_METRICS" "$who"
  else
    printf '%-11s down  (log %s)\n' rabbitmq "$RABBITMQ_LOG"
    return 1
  fi
}

rabbitmq_env() {
  printf 'export AIOS_AMQP_URL=%s\n' "amqp://guest:guest@127.0.0.1:$AIOS_RABBITMQ_PORT/aios"
  printf 'export AIOS_RABBITMQ_API_URL=%s\n' "http://guest:guest@127.0.0.1:$AIOS_RABBITMQ_MANAGEMENT_PORT"
}
