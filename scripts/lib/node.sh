# shellcheck shell=bash
# Sourced by the project's scripts: puts a Node >= 22 first on PATH.
# The system Node may be older (Debian 12 ships 20, which is end of life); then the npm package
# `node@24`, which carries a real Node 24 binary, is installed once into .tools/node.
# Nothing is downloaded from anywhere but the npm registry.

aios_node_ok() {
  command -v node >/dev/null 2>&1 || return 1
  local major
  major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null) || return 1
  [ "${major:-0}" -ge 22 ]
}

aios_ensure_node() {
  local root tools
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  tools="$root/.tools/node"
  if [ -x "$tools/node_modules/.bin/node" ]; then
    PATH="$tools/node_modules/.bin:$PATH"
    export PATH
  fi
  aios_node_ok && return 0
  if ! command -v npm >/dev/null 2>&1; then
    echo "aios: npm is not installed; install Debian's nodejs and npm first (apt-get install -y nodejs npm)" >&2
    return 1
  fi
  echo "aios: system Node $(node --version 2>/dev/null || echo none) is older than 22; installing node@24 from the npm registry into .tools/node" >&2
  mkdir -p "$tools"
  cp "$root/scripts/lib/node-package.json" "$tools/package.json"
  (cd "$tools" && npm install --no-audit --no-fund --loglevel=error >&2) || {
    echo "aios: could not install node@24 into $tools" >&2
    return 1
  }
  PATH="$tools/node_modules/.bin:$PATH"
  export PATH
  aios_node_ok || { echo "aios: $tools/node_modules/.bin/node does not run" >&2; return 1; }
}

# npm ci only when the lock file changed since the last install: npm ci deletes node_modules,
# so running it on every `npm test` would cost a minute each time.
aios_ensure_deps() {
  local root stamp want
  root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
  stamp="$root/node_modules/.aios-lock-hash"
  want="$(sha256sum "$root/package-lock.json" | cut -d' ' -f1)-$(node --version)"
  if [ -f "$stamp" ] && [ "$(cat "$stamp")" = "$want" ]; then
    return 0
  fi
  (cd "$root" && npm ci --no-audit --no-fund --loglevel=error) || return 1
  echo "$want" >"$stamp"
}
