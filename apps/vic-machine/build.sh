#!/usr/bin/env bash
# Bundles src/cli.ts into dist/vic-machine.mjs (plain node, without tsx), so vic-machine starts at once.
# soap (node-soap, for vSphere targets) stays external as in the endpoint's bundle: it is CommonJS with
# dynamic requires an ESM bundle cannot hold; node resolves it from the checkout's node_modules.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
echo "vic-machine build: bundling src/cli.ts into dist/vic-machine.mjs"
rm -rf dist
npx --no-install esbuild src/cli.ts \
  --bundle --platform=node --target=node20 --format=esm \
  --outfile=dist/vic-machine.mjs \
  --external:soap \
  --legal-comments=none --charset=utf8 --log-level=warning
chmod 0755 dist/vic-machine.mjs
