#!/usr/bin/env bash
# `npm test`: installs what is missing, builds the tether, the bootstrap and appliance ISOs, type-checks, runs every suite.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
echo "test: building"
npx --no-install turbo run build --output-logs=errors-only
bash iso-build/build.sh
bash iso-build/build.sh --appliance
echo "test: type-checking"
npx --no-install tsc -p tsconfig.json
echo "test: running suites"
npx --no-install vitest run "$@"
