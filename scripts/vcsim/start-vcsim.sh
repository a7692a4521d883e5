#!/usr/bin/env bash
# start-vcsim.sh — start the vSphere API simulator (vcsim) on 127.0.0.1 in the
# background, wait until it answers, and print how to reach it.
#
#   usage: start-vcsim.sh [PORT] [-- EXTRA_VCSIM_FLAGS...]   start (PORT default 8989; 0 = pick a free port)
#          start-vcsim.sh --stop [PORT]                       stop the vcsim this script started on PORT
#
# Prints shell assignments, so callers can do:  eval "$(start-vcsim.sh 8989)"
#   VCSIM_URL=https://user:pass@127.0.0.1:8989/sdk   VCSIM_PID=1234
#   VCSIM_DIR=/tmp/vcsim-8989 (vcsim.log, calls.jsonl, trace.log when VCSIM_TRACE=1)
#   GOVC_URL=$VCSIM_URL GOVC_INSECURE=1
#
# Default inventory: 1 datacenter (DC0), 1 cluster (DC0_C0) with 2 hosts, 1 standalone
# host (DC0_H0), 1 datastore (LocalDS_0), the "VM Network" portgroup plus 1 distributed
# portgroup (DC0_DVPG0), no VMs, no vApps, no extra pools.
#
# Environment:
#   VCSIM_BIN    vcsim binary (default /opt/vcsim/bin/vcsim, else vcsim on PATH)
#   VCSIM_USER / VCSIM_PASS   the only accepted login (default user / pass)
#   VCSIM_FLAGS  replaces the default inventory flags
#   VCSIM_TRACE=1  also log every SOAP request/response body to $VCSIM_DIR/trace.log
#   VCSIM_DIR    state directory (default /tmp/vcsim-PORT; a fresh /tmp/vcsim-auto.* for port 0)
#   VCSIM_WAIT   seconds to wait for startup (default 30)
# Extra endpoints of this vcsim build: GET/DELETE https://127.0.0.1:PORT/vcsim/calls
# (JSON log of SOAP calls) and GET /vcsim/inventory (JSON dump of VMs, vApps, pools...).
set -euo pipefail

die() { printf 'start-vcsim: %s\n' "$*" >&2; exit 1; }

stop=
if [ "${1:-}" = "--stop" ]; then stop=1; shift; fi
PORT=8989
if [ $# -gt 0 ] && [ "$1" != "--" ]; then PORT=$1; shift; fi
[ "${1:-}" = "--" ] && shift
case "$PORT" in ''|*[!0-9]*) die "bad port '$PORT'";; esac

if [ -n "${VCSIM_DIR:-}" ]; then DIR=$VCSIM_DIR
elif [ "$PORT" = 0 ] && [ -z "$stop" ]; then DIR=$(mktemp -d /tmp/vcsim-auto.XXXXXX)
else DIR=/tmp/vcsim-$PORT
fi
PIDFILE=$DIR/vcsim.pid

is_ours() { # PID is alive and is a vcsim process
  [ -n "${1:-}" ] && kill -0 "$1" 2>/dev/null && tr '\0' ' ' < "/proc/$1/cmdline" 2>/dev/null | grep -q vcsim
}

if [ -n "$stop" ]; then
  pid=$(cat "$PIDFILE" 2>/dev/null || true)
  if is_ours "$pid"; then
    kill "$pid"
    for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    echo "stopped vcsim $pid" >&2
  else
    echo "no vcsim running from $PIDFILE" >&2
  fi
  rm -f "$PIDFILE" "$DIR/env"
  exit 0
fi

BIN=${VCSIM_BIN:-/opt/vcsim/bin/vcsim}
[ -x "$BIN" ] || BIN=$(command -v vcsim || true)
if [ -z "$BIN" ] || [ ! -x "$BIN" ]; then die "vcsim not found; run scripts/vcsim/install-vcsim.sh first (or set VCSIM_BIN)"; fi

mkdir -p "$DIR"
if [ "$PORT" != 0 ] && is_ours "$(cat "$PIDFILE" 2>/dev/null || true)" && [ -s "$DIR/env" ]; then
  echo "start-vcsim: already running (stop it with: $0 --stop $PORT)" >&2
  cat "$DIR/env"
  exit 0
fi

USER_=${VCSIM_USER:-user}
PASS_=${VCSIM_PASS:-pass}
read -r -a INVENTORY <<< "${VCSIM_FLAGS:--dc 1 -cluster 1 -host 2 -standalone-host 1 -ds 1 -pg 1 -vm 0 -app 0 -pod 0 -pool 0}"
ARGS=(-l "127.0.0.1:$PORT" -username "$USER_" -password "$PASS_" "${INVENTORY[@]}" -calllog "$DIR/calls.jsonl")
[ "${VCSIM_TRACE:-}" = 1 ] && ARGS+=(-trace-file "$DIR/trace.log")
ARGS+=("$@")

LOG=$DIR/vcsim.log
: > "$LOG"
: > "$DIR/calls.jsonl"
# setsid: own session, so the simulator outlives the calling shell/test runner.
setsid "$BIN" "${ARGS[@]}" < /dev/null > "$LOG" 2>&1 &
launcher=$!

# vcsim prints "export GOVC_URL=... GOVC_SIM_PID=..." once it is listening.
deadline=$(( $(date +%s) + ${VCSIM_WAIT:-30} ))
line=
while :; do
  line=$(grep -m1 '^export GOVC_URL=' "$LOG" 2>/dev/null || true)
  [ -n "$line" ] && break
  if ! kill -0 "$launcher" 2>/dev/null; then
    sed 's/^/  /' "$LOG" >&2
    die "vcsim exited during startup (port $PORT in use?)"
  fi
  [ "$(date +%s)" -lt "$deadline" ] || { kill "$launcher" 2>/dev/null; die "vcsim did not start within ${VCSIM_WAIT:-30}s"; }
  sleep 0.1
done

URL=$(sed -n 's/^export GOVC_URL=\([^ ]*\).*/\1/p' <<< "$line")
PID=$(sed -n 's/.*GOVC_SIM_PID=\([0-9]*\).*/\1/p' <<< "$line")
HOSTPORT=${URL#*@}; HOSTPORT=${HOSTPORT%%/*}

# Check that it really answers SOAP (RetrieveServiceContent needs no login).
answered=
for _ in $(seq 50); do
  if command -v curl >/dev/null 2>&1; then
    if curl -sk --max-time 2 -H 'Content-Type: text/xml' -H 'SOAPAction: "urn:vim25/6.5"' \
      --data '<Envelope xmlns="http://schemas.xmlsoap.org/soap/envelope/"><Body><RetrieveServiceContent xmlns="urn:vim25"><_this type="ServiceInstance">ServiceInstance</_this></RetrieveServiceContent></Body></Envelope>' \
      "https://$HOSTPORT/sdk" 2>/dev/null | grep -q RetrieveServiceContentResponse; then answered=1; break; fi
  elif (exec 3<>"/dev/tcp/${HOSTPORT%:*}/${HOSTPORT##*:}") 2>/dev/null; then
    answered=1; break
  fi
  sleep 0.1
done
[ -n "$answered" ] || { kill "$PID" 2>/dev/null; die "vcsim at $HOSTPORT does not answer"; }

echo "$PID" > "$PIDFILE"
if [ "$PORT" = 0 ]; then # remember it under the real port too, for --stop PORT
  real=${HOSTPORT##*:}; mkdir -p "/tmp/vcsim-$real"; echo "$PID" > "/tmp/vcsim-$real/vcsim.pid"
fi
{
  echo "VCSIM_URL=$URL"
  echo "VCSIM_PID=$PID"
  echo "VCSIM_DIR=$DIR"
  echo "VCSIM_CALLS=https://$HOSTPORT/vcsim/calls"
  echo "GOVC_URL=$URL"
  echo "GOVC_INSECURE=1"
} | tee "$DIR/env"
echo "start-vcsim: vcsim $PID answering at $URL (log: $LOG)" >&2
