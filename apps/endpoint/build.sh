#!/usr/bin/env bash
# Bundles src/main.ts into dist/endpoint.mjs, the process vic-machine starts for each VCH.
# A bundle rather than tsx: the endpoint is a long-lived daemon, so it runs as one plain node process
# (the pid vic-machine records is the one that gets SIGTERM, with no tsx parent relaying signals),
# starts without compiling TypeScript, and needs no dev tool at run time.
# The npm packages stay external and resolve from the repository's node_modules: bundling their
# CommonJS into ESM would need a require shim, and the bundle only ever runs from this checkout.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
cd "$here"
echo "endpoint build: bundling src/main.ts into dist/endpoint.mjs"
rm -rf dist
npx --no-install esbuild src/main.ts \
  --bundle --platform=node --target=node20 --format=esm \
  --outfile=dist/endpoint.mjs \
  --external:fastify --external:tar-stream --external:msgpackr --external:soap \
  --legal-comments=none --charset=utf8 --log-level=warning

# The appliance (iso-build/build.sh --appliance) runs the endpoint with no checkout and no
# node_modules: its bundle carries every npm package (their CommonJS gets a require from
# createRequire), and its boot program (src/appliance/main.ts) sits next to it.
echo "endpoint build: bundling the appliance's endpoint and boot program into dist/appliance/"
appliance_banner="import { createRequire as __vicCreateRequire } from 'node:module'; const require = __vicCreateRequire(import.meta.url);"
for entry in main.ts:endpoint.mjs appliance/main.ts:appliance.mjs; do
  npx --no-install esbuild "src/${entry%%:*}" \
    --bundle --platform=node --target=node20 --format=esm \
    --outfile="dist/appliance/${entry##*:}" \
    --banner:js="$appliance_banner" \
    --legal-comments=none --charset=utf8 --log-level=warning
done
