#!/usr/bin/env bash
# `npm test`: installs what is missing, builds the tether and the bootstrap ISO, type-checks, runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: building"
npx --no-install turbo run build --output-logs=errors-only
bash iso-build/build.sh
echo "test: type-checking"
npx --no-install tsc -p tsconfig.json
echo "test: running suites"
npx --no-install vitest run "$@"
