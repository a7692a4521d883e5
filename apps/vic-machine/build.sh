#!/usr/bin/env bash
# Bundles src/cli.ts into dist/vic-machine.mjs (plain node, no dependencies but node's own modules),
# so vic-machine starts at once and runs anywhere node does, without tsx.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
echo "vic-machine build: bundling src/cli.ts into dist/vic-machine.mjs"
rm -rf dist
npx --no-install esbuild src/cli.ts \
  --bundle --platform=node --target=node20 --format=esm \
  --outfile=dist/vic-machine.mjs \
  --legal-comments=none --charset=utf8 --log-level=warning
chmod 0755 dist/vic-machine.mjs
