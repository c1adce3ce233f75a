#!/usr/bin/env bash
# console-build.sh rebuilds the web console's bundle into
# appliance/internal/console/dist from web/ (go generate runs it, so
# `make generate` does): `npm ci` from web/package-lock.json with npm's cache
# under $JUMPGATE_CACHE_DIR, then the generated API types and rules and
# `vite build`. The output depends on the lock file and the sources alone,
# so `make verify` catches a stale committed bundle. Only this step needs
# Node; go build embeds what is committed. With the argument "deps" it only
# installs web/node_modules.
set -euo pipefail

cd "$(dirname "$0")/../web"
command -v npm >/dev/null || { echo "console-build: npm not found; install Node.js 20+ (Debian: apt-get install nodejs npm)" >&2; exit 1; }
export npm_config_cache="${JUMPGATE_CACHE_DIR:-$HOME/.cache/jumpgate}/npm"
export npm_config_update_notifier=false

# npm ci wipes node_modules every time; skip it while the lock file is the
# one that node_modules was installed from.
stamp=node_modules/.jumpgate-lock.sha256
want=$(sha256sum package-lock.json | cut -d' ' -f1)
if [[ ! -f $stamp || $(<"$stamp") != "$want" ]]; then
	npm ci --no-audit --no-fund --prefer-offline >/dev/null
	echo "$want" >"$stamp"
fi
# "deps" stops here: the browser tests need only node_modules (axe-core).
[[ ${1:-} == deps ]] && exit 0
npm run --silent build >/dev/null
