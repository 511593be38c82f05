#!/usr/bin/env bash
# The README's main job (`npm run dev`): the dev environment without Docker. Starts the real
# services, applies the topology and buckets from config/, then runs the example agents with
# hot reload until Ctrl-C. With Docker and the Pulumi CLI, `pulumi up -s dev` builds the same
# environment from infra/ (see infra/README.md).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
aios_ensure_node
aios_ensure_deps
bash scripts/services.sh up
eval "$(bash scripts/services.sh env)"
npm run --silent aios -- topology apply
npm run --silent aios -- storage apply
echo
bash scripts/services.sh status
echo
# The status page for people: services, agents, queues, dead letters, firing alerts.
status_port=${AIOS_STATUS_PORT:-9400}
node --conditions=source --import tsx runtime/src/cli/main.ts status --port "$status_port" &
status_pid=$!
trap 'kill "$status_pid" 2>/dev/null || true' EXIT
echo "Status page: http://127.0.0.1:$status_port/   (aios health: npm run aios -- health)"
echo "Starting the example agents (planner, coder, reviewer) with hot reload; Ctrl-C stops them."
npx tsx watch --conditions=source --clear-screen=false runtime/examples/run-all.ts "$@"
