#!/usr/bin/env bash
# Typechecks every package with the project's Node (used by the pre-commit hook and CI).
set -euo pipefail
cd "$(dirname "$0")/.."
source scripts/lib/node.sh
aios_ensure_node
exec npm run --silent typecheck
