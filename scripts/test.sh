#!/usr/bin/env bash
# The README's test command (`npm test`): provisions Node >= 22 and the dependencies, starts the
# real services (RabbitMQ, Ceph RGW, Prometheus) and runs every test, integration tests included,
# with coverage thresholds enforced. Extra arguments go to vitest (e.g. `npm test -- runtime/src/storage`).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
aios_ensure_node
aios_ensure_deps
bash scripts/services.sh up
# The status page's test drives Debian's Chromium through playwright-core (no browser download).
if ! command -v chromium >/dev/null 2>&1; then
  echo "test: installing Debian's chromium for the browser tests" >&2
  apt-get update -q >/dev/null && DEBIAN_FRONTEND=noninteractive apt-get install -y -q --no-install-recommends chromium >/dev/null
fi
eval "$(bash scripts/services.sh env)"
if [ "$#" -gt 0 ]; then
  exec npx vitest run "$@"
fi
exec npx vitest run --coverage
