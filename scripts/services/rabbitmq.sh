# shellcheck shell=bash
# RabbitMQ: reuses a node already listening on 5672 (this machine starts one before the session);
# otherwise starts one bound to 127.0.0.1. Enables the management and Prometheus plugins and
# creates the `aios` vhost the topology in config/messaging.yaml uses.

RABBITMQ_BIN=/usr/lib/rabbitmq/bin
RABBITMQ_LOG="$AIOS_LOG_DIR/rabbitmq.log"
RABBITMQ_API=http://127.0.0.1:15672

rabbitmq_api_ok() { curl -fsS -u guest:guest "$RABBITMQ_API/api/overview" >/dev/null; }

rabbitmq_up() {
  ensure_packages rabbitmq-server curl
  if port_open 5672; then
    log "rabbitmq: a node is listening on 127.0.0.1:5672; reusing it"
  else
    log "rabbitmq: starting a node on 127.0.0.1:5672"
    local dir="$AIOS_STATE_DIR/rabbitmq"
    mkdir -p "$dir/mnesia" "$dir/log"
    chown -R rabbitmq:rabbitmq "$dir" 2>/dev/null || true
    # The /usr/sbin wrappers switch user and drop RABBITMQ_* settings, so the real scripts are called.
    ERL_EPMD_ADDRESS=127.0.0.1 RABBITMQ_NODE_IP_ADDRESS=127.0.0.1 RABBITMQ_NODENAME=rabbit@localhost \
      RABBITMQ_MNESIA_BASE="$dir/mnesia" RABBITMQ_LOG_BASE="$dir/log" RABBITMQ_PID_FILE="$dir/rabbit.pid" \
      spawn rabbitmq "$RABBITMQ_LOG" "$RABBITMQ_BIN/rabbitmq-server"
    # `await_startup` fails at once before the node registers with epmd; `wait <pidfile>` waits.
    local i
    for i in $(seq 1 40); do [ -f "$dir/rabbit.pid" ] && break; sleep 0.25; done
    RABBITMQ_NODENAME=rabbit@localhost timeout 60 "$RABBITMQ_BIN/rabbitmqctl" wait "$dir/rabbit.pid" \
      >>"$RABBITMQ_LOG" 2>&1 || { tail -n 20 "$RABBITMQ_LOG" >&2; die "rabbitmq did not start; see $RABBITMQ_LOG"; }
  fi
  if ! rabbitmq_api_ok || ! curl -fsS http://127.0.0.1:15692/metrics >/dev/null 2>&1; then
    log "rabbitmq: enabling rabbitmq_management and rabbitmq_prometheus"
    "$RABBITMQ_BIN/rabbitmq-plugins" enable rabbitmq_management rabbitmq_prometheus >>"$RABBITMQ_LOG" 2>&1 ||
      die "rabbitmq: enabling plugins failed; see $RABBITMQ_LOG"
  fi
  wait_until 60 "rabbitmq management API" "$RABBITMQ_LOG" rabbitmq_api_ok || exit 1
  wait_until 30 "rabbitmq prometheus endpoint" "$RABBITMQ_LOG" curl -fsS http://127.0.0.1:15692/metrics || exit 1
  if ! curl -fsS -u guest:guest "$RABBITMQ_API/api/vhosts/aios" >/dev/null 2>&1; then
    log "rabbitmq: creating vhost aios"
    curl -fsS -u guest:guest -X PUT "$RABBITMQ_API/api/vhosts/aios" >/dev/null || die "rabbitmq: cannot create vhost aios"
  fi
  curl -fsS -u guest:guest -X PUT -H 'content-type: application/json' \
    -d '{"configure":".*","write":".*","read":".*"}' "$RABBITMQ_API/api/permissions/aios/guest" >/dev/null ||
    die "rabbitmq: cannot grant guest on vhost aios"
}

rabbitmq_down() {
  if pid_alive rabbitmq; then
    log "rabbitmq: stopping the node this script started"
    RABBITMQ_NODENAME=rabbit@localhost "$RABBITMQ_BIN/rabbitmqctl" stop >>"$RABBITMQ_LOG" 2>&1 || true
    stop_pid rabbitmq
  else
    rm -f "$AIOS_PID_DIR/rabbitmq.pid"
    log "rabbitmq: not started by this script; left running"
  fi
}

rabbitmq_status() {
  if port_open 5672 && rabbitmq_api_ok; then
    echo "rabbitmq    up    amqp://127.0.0.1:5672/aios  management http://127.0.0.1:15672  metrics http://127.0.0.1:15692/metrics"
  else
    echo "rabbitmq    down"
    return 1
  fi
}
