#!/usr/bin/env bash
# Boots a kernel + initrd N times under QEMU and reports wall time from launch to a console marker.
# Every boot is bounded by --timeout; a boot that times out counts as a hang and is killed.
# The kernel command line is the runner's baseline (kernel-cmdline.ts) plus --append.
#
#   bash iso-build/bench/boot-times.sh --kernel K --initrd I [--machine pc|microvm] [--runs N]
#        [--marker TEXT] [--timeout S] [--append CMDLINE] [--accel tcg|kvm] [--memory MiB]
set -euo pipefail

machine=pc runs=10 marker=vic-floor-up timeout_s=30 append="" accel=tcg memory=512 kernel="" initrd=""
extra=()
while (($#)); do
  case "$1" in
    --kernel) kernel="$2"; shift 2 ;;
    --initrd) initrd="$2"; shift 2 ;;
    --machine) machine="$2"; shift 2 ;;
    --runs) runs="$2"; shift 2 ;;
    --marker) marker="$2"; shift 2 ;;
    --timeout) timeout_s="$2"; shift 2 ;;
    --append) append="$2"; shift 2 ;;
    --accel) accel="$2"; shift 2 ;;
    --memory) memory="$2"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "boot-times: unknown argument $1" >&2; exit 2 ;;
  esac
done
[[ -f "$kernel" && -f "$initrd" ]] || { echo "boot-times: --kernel and --initrd must be files" >&2; exit 2; }

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
cpu=(-cpu max)
[[ "$accel" == kvm ]] && cpu=(-enable-kvm -cpu host)

times=() hangs=0 missing=0
for ((i = 1; i <= runs; i++)); do
  log="$work/console-$i.log"
  start=$(date +%s%N)
  rc=0
  # Marker time, not exit time: watch the console log and stop the clock when the marker appears.
  timeout --signal=KILL "$timeout_s" qemu-system-x86_64 -M "$machine" "${cpu[@]}" -m "$memory" \
    -nodefaults -no-user-config -display none -no-reboot -serial "file:$log" \
    -kernel "$kernel" -initrd "$initrd" -append "console=ttyS0 panic=-1 quiet cryptomgr.notests $append" "${extra[@]}" &
  qemu=$!
  seen=""
  while kill -0 "$qemu" 2>/dev/null; do
    if [[ -z "$seen" ]] && grep -q "$marker" "$log" 2>/dev/null; then seen=$(date +%s%N); fi
    sleep 0.01
  done
  wait "$qemu" || rc=$?
  if [[ -z "$seen" ]] && grep -q "$marker" "$log" 2>/dev/null; then seen=$(date +%s%N); fi
  if ((rc == 137)); then
    hangs=$((hangs + 1)); echo "run $i: HANG (killed after ${timeout_s}s)"
  elif [[ -z "$seen" ]]; then
    missing=$((missing + 1)); echo "run $i: exit $rc without marker"; tail -5 "$log"
  else
    ms=$(((seen - start) / 1000000)); total=$((($(date +%s%N) - start) / 1000000))
    times+=("$ms"); echo "run $i: marker at ${ms} ms, exit at ${total} ms"
  fi
done

if ((${#times[@]})); then
  mapfile -t sorted < <(printf '%s\n' "${times[@]}" | sort -n)
  n=${#sorted[@]}
  echo "summary: machine=$machine accel=$accel runs=$runs ok=$n hangs=$hangs no-marker=$missing" \
    "min=${sorted[0]}ms median=${sorted[$((n / 2))]}ms max=${sorted[$((n - 1))]}ms"
else
  echo "summary: machine=$machine accel=$accel runs=$runs ok=0 hangs=$hangs no-marker=$missing"
fi
