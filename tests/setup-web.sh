#!/usr/bin/env bash
# Installs what the web build and the browser tests need, each only when missing or at another
# version: Trunk and wasm-bindgen-cli from crates.io at pinned versions, Chromium from Debian,
# and the npm packages in package-lock.json. Usage: setup-web.sh TRUNK_VERSION BINDGEN_VERSION
set -euo pipefail

trunk_version="$1"
bindgen_version="$2"
root=$(cd "$(dirname "$0")/.." && pwd)

locked=$(grep -A1 '^name = "wasm-bindgen"$' "$root/Cargo.lock" | sed -n 's/^version = "\(.*\)"$/\1/p')
if [ "$locked" != "$bindgen_version" ]; then
    echo "setup-web: Cargo.lock has wasm-bindgen $locked but the Makefile pins $bindgen_version; make them equal" >&2
    exit 1
fi

if [ "$(trunk --version 2>/dev/null)" != "trunk $trunk_version" ]; then
    echo "setup-web: installing trunk $trunk_version (about 15 minutes on 2 cores)"
    cargo install trunk --version "$trunk_version" --locked
fi

# wasm-bindgen-cli installs only without --locked: a dependency locked in its own lock file is
# missing from the registry index.
if [ "$(wasm-bindgen --version 2>/dev/null)" != "wasm-bindgen $bindgen_version" ]; then
    echo "setup-web: installing wasm-bindgen-cli $bindgen_version"
    cargo install wasm-bindgen-cli --version "$bindgen_version"
fi

if [ ! -x /usr/bin/chromium ]; then
    echo "setup-web: installing Debian's chromium"
    apt-get update
    DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends chromium
fi

if [ ! -d "$root/node_modules/playwright-core" ]; then
    echo "setup-web: installing the npm test packages"
    (cd "$root" && npm ci --no-audit --no-fund)
fi
echo "setup-web: trunk $trunk_version, wasm-bindgen $bindgen_version, $(/usr/bin/chromium --version 2>/dev/null)"
