#!/usr/bin/env bash
# `npm start`: installs what is missing, builds the endpoint, vic-machine, the tether, the bootstrap
# and appliance ISOs, then makes sure the local VCH `default` runs (creates it, starts it again, or reuses it), loads
# a busybox image into it and prints how to point docker at it.
# `npm start -- CMD...` also runs CMD in a busybox container. VIC_STATE_ROOT moves the VCHs' folder.
set -euo pipefail
cd "$(dirname "$0")/.."
name=default
state_root="${VIC_STATE_ROOT:-/var/lib/vic}"

bash scripts/setup.sh
echo "start: building"
npx --no-install turbo run build --output-logs=errors-only
bash iso-build/build.sh
bash iso-build/build.sh --appliance

vic_machine() { node apps/vic-machine/dist/vic-machine.mjs "$1" --target local --name "$name" --state-root "$state_root"; }
if [[ -d "$state_root/$name" ]]; then
  echo "start: VCH $name exists in $state_root; starting it unless it runs"
  env_lines="$(vic_machine start)"
else
  echo "start: creating VCH $name in $state_root"
  env_lines="$(vic_machine create)"
fi
eval "$env_lines"

archive="$(mktemp --suffix=.tar)"
trap 'rm -f "$archive"' EXIT
echo "start: building the busybox image from Debian's busybox-static and loading it with docker load"
npx --no-install tsx scripts/busybox-archive.ts "$archive"
docker load -i "$archive"

cat <<USAGE

start: VCH $name is running. Point docker at it (paste into your shell):

$env_lines

then, for example:

docker run --rm busybox echo hello
USAGE

if (($# > 0)); then
  echo
  echo "start: docker run --rm busybox $*"
  exec docker run --rm busybox "$@"
fi
