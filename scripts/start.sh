#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the tether and the bootstrap ISO, boots one container
# VM and runs a command in it. (Until the Docker endpoint lands, this is the whole product.)
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/setup.sh
npx --no-install turbo run build --output-logs=errors-only
bash iso-build/build.sh
exec npx --no-install tsx scripts/run-in-vm.ts "$@"
