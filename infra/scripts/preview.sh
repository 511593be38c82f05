#!/usr/bin/env bash
# npm run preview -- <stack> [more `pulumi preview` options]
# The engine's view of a change: `pulumi preview --diff` of the stack with the AIOS policy pack
# (policies/) enforced. Needs the Pulumi CLI; without it, says so in one line and exits non-zero.
set -euo pipefail

root="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
stack="${1:-}"
if [[ -z "$stack" || "$stack" == -* ]]; then
  echo "usage: npm run preview -- <stack> [pulumi preview options]   (stack: a Pulumi.<stack>.yaml in $root)" >&2
  exit 2
fi
shift
if [[ ! -f "$root/Pulumi.$stack.yaml" ]]; then
  echo "preview: no stack file Pulumi.$stack.yaml in $root" >&2
  exit 2
fi
if ! command -v pulumi >/dev/null 2>&1; then
  echo "preview: the Pulumi CLI (pulumi 3.x) is not on PATH, so no preview ran; install it, or read what the stack declares with: npm run plan -- $stack" >&2
  exit 127
fi
cd "$root"
exec pulumi preview --stack "$stack" --diff --policy-pack "$root/policies" "$@"
