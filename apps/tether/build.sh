#!/usr/bin/env bash
# Builds the tether for the guest into apps/tether/dist:
#   tether.cjs                              everything in src/ and its JS dependencies, one file
#   vicsys.node                             native/vicsys.c; src/sys/native.ts loads it from beside tether.cjs
#   node_modules/node-pty/                  node-pty's own lib/ and its pty.node in the layout its loader
#                                           expects; tether.cjs require("node-pty") finds it from its folder
# msgpackr's optional native accelerator (msgpackr-extract) is left out: msgpackr falls back to JS.
# Idempotent and deterministic: dist is rebuilt from scratch, with no timestamps, source maps or
# absolute paths in it. Requires `npm ci` at the repository root (node-gyp, esbuild, node-pty).
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
dist="$here/dist"

log() { echo "tether build: $*"; }

log "compiling the vicsys addon with node-gyp (native/build)"
npx --no-install node-gyp rebuild --directory "$here/native" --loglevel=warn >/dev/null

pty_dir="$(node -p 'require("path").dirname(require.resolve("node-pty/package.json"))')"
pty_addon="$pty_dir/build/Release/pty.node"
[[ -f "$pty_addon" ]] || { echo "tether build: $pty_addon is missing; run npm ci (node-pty builds it on install)" >&2; exit 1; }

log "recreating $dist"
rm -rf "$dist"
mkdir -p "$dist"

# esbuild writes CJS, where import.meta is empty: the banner defines the bundle's own URL for it,
# after a "use strict" of its own, since a banner ahead of esbuild's would turn strict mode off.
log "bundling src/main.ts into dist/tether.cjs"
npx --no-install esbuild src/main.ts \
  --bundle --platform=node --target=node20 --format=cjs \
  --outfile="$dist/tether.cjs" \
  --external:node-pty --external:msgpackr-extract \
  --define:import.meta.url=__bundleUrl \
  --banner:js='"use strict"; const __bundleUrl = require("node:url").pathToFileURL(__filename).href;' \
  --legal-comments=none --charset=utf8 --log-level=warning

log "copying vicsys.node"
install -m 0644 native/build/Release/vicsys.node "$dist/vicsys.node"

log "copying node-pty $(node -p "require('$pty_dir/package.json').version") (lib and pty.node)"
pty_out="$dist/node_modules/node-pty"
mkdir -p "$pty_out/lib" "$pty_out/build/Release"
install -m 0644 "$pty_dir/package.json" "$pty_dir/LICENSE" "$pty_out/"
find "$pty_dir/lib" -maxdepth 1 -name '*.js' ! -name '*.test.js' -print0 | LC_ALL=C sort -z |
  xargs -0 install -m 0644 -t "$pty_out/lib"
install -m 0644 "$pty_addon" "$pty_out/build/Release/pty.node"

log "done: $(cd "$dist" && find . -type f | LC_ALL=C sort | tr '\n' ' ')"
