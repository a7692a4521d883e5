#!/usr/bin/env bash
# Builds the bootstrap ISO every container VM boots, and the bare-boot floor image for the benchmark;
# with --appliance, the VCH appliance's ISO instead.
#
#   bash iso-build/build.sh [--out DIR] [--tether-dist DIR] [--compression none|gzip|zstd|xz|lz4] [--force]
#   bash iso-build/build.sh --appliance [--out DIR] [--endpoint-dist DIR] [--compression ...] [--force]
#
# Outputs (default DIR = iso-build/out):
#   bootstrap.iso     ISO 9660, isolinux BIOS boot: /boot/vmlinuz, /boot/initrd.img, /isolinux/*
#   vmlinuz           the same kernel, for direct kernel boot
#   floor-initrd.img  busybox-only initramfs whose /init prints "vic-floor-up" and powers off
#   appliance.iso     (--appliance) the same layout, volume VIC_APPLIANCE; its initramfs runs the
#                     appliance's boot program and the endpoint (apps/endpoint/dist/appliance/)
#                     with the host tools the endpoint runs (APPLIANCE_TOOLS)
#
# Reproducible: the same inputs (this folder, the tether dist, the host's node and busybox, the
# Debian kernel package, SOURCE_DATE_EPOCH) give byte-identical outputs. SOURCE_DATE_EPOCH defaults
# to the commit time of the last commit that touched iso-build/. A digest of the inputs is kept in
# DIR/.inputs.sha256; when it matches, the build is skipped (--force rebuilds anyway).
#
# Initramfs compression: none. Measured under TCG (-M pc, 1 vCPU, 512 MiB, 2 shared host cores),
# wall time from launching qemu to the stand-in tether's first line (Node as PID 1), 7 boots of
# each, interleaved (median, min-max):
#   none  91.1 MiB  5.96 s (5.80-6.79)      lz4 -l -9   40.3 MiB  6.64 s (5.86-7.57)
#   gzip  34.5 MiB  7.61 s (6.40-9.39)      zstd -19    26.1 MiB  7.62 s (6.87-10.05)
#   xz    23.3 MiB 15.73 s (14.27-19.24)
# Emulated decompression costs more than loading and unpacking the bytes, and "none" also builds
# fastest (7 s against 23-80 s). Keeping Node out of the initramfs, read lazily from the ISO as a
# virtio-blk disk, was not clearly faster (iso-build/README.md), so Node stays in.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
repo=$(cd "$here/.." && pwd)
out="$here/out"
tether_dist="$repo/apps/tether/dist"
endpoint_dist="$repo/apps/endpoint/dist/appliance"
mode=bootstrap
compression=none
force=0
while (($#)); do
  case "$1" in
    --out) out="$2"; shift 2 ;;
    --tether-dist) tether_dist="$2"; shift 2 ;;
    --appliance) mode=appliance; shift ;;
    --endpoint-dist) endpoint_dist="$2"; shift 2 ;;
    --compression) compression="$2"; shift 2 ;;
    --force) force=1; shift ;;
    -h | --help) sed -n '2,/^set -euo/p' "$0" | sed '$d'; exit 0 ;;
    *) echo "build: unknown argument: $1 (see --help)" >&2; exit 2 ;;
  esac
done
case "$compression" in none | gzip | zstd | xz | lz4) ;; *) echo "build: unknown compression $compression" >&2; exit 2 ;; esac

DEBIAN_PACKAGES=(qemu-system-x86 qemu-utils xorriso isolinux syslinux-common busybox-static cpio e2fsprogs zstd xz-utils lz4 binutils erofs-utils attr tar)
# The host tools the endpoint runs (every spawn/execFile in apps/endpoint/src and packages/imagec/src
# that the vSphere backend reaches), copied onto the appliance with their shared libraries. mount,
# umount and ip are busybox's.
APPLIANCE_TOOLS=(qemu-img mke2fs mkfs.erofs setfattr tar zstd)
KERNEL_METAPACKAGE=linux-image-cloud-amd64
cache="$here/.cache"
started=$(date +%s%N)

log() { echo "build: $*"; }
die() { echo "build: error: $*" >&2; exit 1; }

ensure_packages() {
  local missing=() pkg
  for pkg in "${DEBIAN_PACKAGES[@]}"; do
    dpkg -s "$pkg" 2>/dev/null | grep -q '^Status: install ok installed' || missing+=("$pkg")
  done
  ((${#missing[@]} == 0)) && return
  log "installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}"
}

# The versioned kernel package the metapackage points at, e.g. linux-image-6.1.0-56-cloud-amd64.
resolve_kernel_package() {
  local pkg
  pkg=$(apt-cache depends "$KERNEL_METAPACKAGE" 2>/dev/null | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  if [[ -z "$pkg" ]]; then
    log "apt does not know $KERNEL_METAPACKAGE yet; running apt-get update" >&2
    apt-get -o DPkg::Lock::Timeout=600 update -qq
    pkg=$(apt-cache depends "$KERNEL_METAPACKAGE" | awk '/Depends: linux-image-[0-9]/ { print $2; exit }')
  fi
  [[ -n "$pkg" ]] || die "cannot resolve the kernel package $KERNEL_METAPACKAGE depends on"
  echo "$pkg"
}

# Downloads and unpacks the kernel package into the cache (never installs it); reuses the cache.
# Sets kernel_root (the unpacked tree) and kver.
fetch_kernel() {
  local pkg version dir deb
  pkg=$(resolve_kernel_package)
  version=$(apt-cache policy "$pkg" | awk '/Candidate:/ { print $2 }')
  kver=${pkg#linux-image-}
  dir="$cache/kernel/${pkg}_${version}"
  kernel_root="$dir/root"
  if [[ -f "$dir/unpacked" ]]; then
    log "kernel $pkg $version (cached)"
    return
  fi
  log "fetching kernel $pkg $version"
  rm -rf "$dir" && mkdir -p "$dir"
  (cd "$dir" && apt-get -o APT::Sandbox::User=root download -qq "$pkg=$version")
  deb=$(ls "$dir"/*.deb)
  dpkg-deb -x "$deb" "$kernel_root"
  # Debian generates modules.dep at install time (depmod in postinst); generate it here instead.
  busybox depmod -b "$kernel_root" "$kver"
  [[ -f "$kernel_root/boot/vmlinuz-$kver" && -f "$kernel_root/lib/modules/$kver/modules.dep" ]] || die "kernel package $deb is missing vmlinuz or modules"
  rm -f "$deb"
  touch "$dir/unpacked"
}

# Prints the modules.dep paths of the named modules and all their dependencies, each after
# everything it depends on.
resolve_modules() {
  local dep_file="$kernel_root/lib/modules/$kver/modules.dep"
  awk -v wanted="$(grep -v '^#' "$here/modules.list" | xargs)" '
    function name_of(path,   n) { n = path; sub(/.*\//, "", n); sub(/\.ko(\.[a-z]+)?$/, "", n); gsub(/-/, "_", n); return n }
    function visit(path,   i, n, parts) {
      if (path in done) return
      if (path in visiting) { print "build: module dependency cycle at " path > "/dev/stderr"; exit 1 }
      visiting[path] = 1
      n = split(deps[path], parts, " ")
      for (i = 1; i <= n; i++) visit(parts[i])
      done[path] = 1
      print path
    }
    {
      path = $1; sub(/:$/, "", path)
      deps[path] = ""
      for (i = 2; i <= NF; i++) deps[path] = deps[path] " " $i
      by_name[name_of(path)] = path
    }
    END {
      n = split(wanted, names, " ")
      for (i = 1; i <= n; i++) {
        if (!(names[i] in by_name)) { print "build: module " names[i] " is not in modules.dep (built in?)" > "/dev/stderr"; exit 1 }
        visit(by_name[names[i]])
      }
    }' "$dep_file"
}

# Fixed ownership, modes and times for everything staged, so the archive depends only on content.
normalize_tree() {
  local root="$1"
  find "$root" -type d -exec chmod 0755 {} +
  find "$root" -type f -perm /111 -exec chmod 0755 {} +
  find "$root" -type f ! -perm /111 -exec chmod 0644 {} +
  chown -hR 0:0 "$root"
  find "$root" -exec touch -h -d "@$SOURCE_DATE_EPOCH" {} +
}

compress() {
  case "$compression" in
    none) cat ;;
    gzip) gzip -9 -n ;;
    zstd) zstd -q -19 -T1 --no-check ;;
    xz) xz -9 -T1 --check=crc32 ;;
    lz4) lz4 -q -l -9 ;;
  esac
}

# Packs a staged tree as a newc cpio: sorted names, inode numbers from the sort order, uid/gid 0.
pack_initramfs() {
  local root="$1" dest="$2"
  normalize_tree "$root"
  (cd "$root" && find . -mindepth 1 -printf '%P\n' | LC_ALL=C sort | cpio -o -H newc --reproducible -R 0:0 --quiet) > "$dest.cpio"
  compress < "$dest.cpio" > "$dest"
}

stage_busybox() {
  local root="$1" applet
  mkdir -p "$root/bin" "$root/dev" "$root/proc" "$root/sys" "$root/tmp" "$root/run"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $(/bin/busybox --list | LC_ALL=C sort); do
    [[ "$applet" == busybox ]] || ln -s busybox "$root/bin/$applet"
  done
  # The kernel opens /dev/console for init's stdio before anything mounts devtmpfs.
  mknod -m 0600 "$root/dev/console" c 5 1
  mknod -m 0666 "$root/dev/null" c 1 3
}

stage_modules() {
  local root="$1" path
  : > "$work/load-order"
  for path in $(resolve_modules); do
    mkdir -p "$root/lib/modules/$kver/$(dirname "$path")"
    case "$path" in
      *.ko) cp "$kernel_root/lib/modules/$kver/$path" "$root/lib/modules/$kver/$path" ;;
      *.ko.xz) xz -dc "$kernel_root/lib/modules/$kver/$path" > "$root/lib/modules/$kver/${path%.xz}"; path=${path%.xz} ;;
      *.ko.zst) zstd -qdc "$kernel_root/lib/modules/$kver/$path" > "$root/lib/modules/$kver/${path%.zst}"; path=${path%.zst} ;;
      *) die "unexpected module file $path" ;;
    esac
    echo "/lib/modules/$kver/$path" >> "$work/load-order"
  done
  cp "$work/load-order" "$root/lib/modules/load-order"
  log "modules: $(wc -l < "$work/load-order") ($(xargs -n1 basename < "$work/load-order" | sed 's/\.ko$//' | xargs))"
}

# The shared libraries ldd finds for a binary, at the same absolute paths.
shared_libs() {
  ldd "$1" | awk '$2 == "=>" && $3 ~ /^\// { print $3 } $1 ~ /^\// { print $1 }' | LC_ALL=C sort -u
}

stage_shared_libs() {
  local root="$1" binary="$2" lib
  for lib in $(shared_libs "$binary"); do
    mkdir -p "$root$(dirname "$lib")"
    cp -L "$lib" "$root$lib"
  done
}

# The host's node, stripped, with its shared libraries.
stage_node() {
  local root="$1"
  mkdir -p "$root/usr/bin"
  strip -o "$root/usr/bin/node" /usr/bin/node
  stage_shared_libs "$root" /usr/bin/node
}

# Each of APPLIANCE_TOOLS in /usr/bin (ahead of busybox's applets on PATH), with its libraries.
stage_tools() {
  local root="$1" tool path
  mkdir -p "$root/usr/bin" "$root/etc"
  for tool in "${APPLIANCE_TOOLS[@]}"; do
    path=$(command -v "$tool") || die "the appliance needs $tool on this host"
    path=$(readlink -f "$path")
    cp "$path" "$root/usr/bin/$tool"
    stage_shared_libs "$root" "$path"
  done
  ln -s mke2fs "$root/usr/bin/mkfs.ext4"
  cp /etc/mke2fs.conf "$root/etc/mke2fs.conf"
}

stage_tether() {
  local root="$1"
  mkdir -p "$root/tether"
  cp -R "$tether_dist/." "$root/tether/"
}

build_bootstrap_initramfs() {
  local root="$work/bootstrap-root"
  mkdir -p "$root/etc" "$root/mnt"
  stage_busybox "$root"
  stage_modules "$root"
  stage_node "$root"
  stage_tether "$root"
  cp "$here/rootfs/init" "$root/init"
  pack_initramfs "$root" "$work/initrd.img"
}

build_appliance_initramfs() {
  local root="$work/appliance-root"
  mkdir -p "$root/etc/vic" "$root/mnt" "$root/root" "$root/var/lib/vic" "$root/appliance"
  stage_busybox "$root"
  stage_modules "$root"
  stage_node "$root"
  stage_tools "$root"
  cp "$endpoint_dist/appliance.mjs" "$endpoint_dist/endpoint.mjs" "$root/appliance/"
  cp "$here/rootfs/appliance-init" "$root/init"
  pack_initramfs "$root" "$work/initrd.img"
}

build_floor_initramfs() {
  local root="$work/floor-root"
  stage_busybox "$root"
  cp "$here/rootfs/floor-init" "$root/init"
  pack_initramfs "$root" "$work/floor-initrd.img"
}

# build_iso NAME VOLUME: $work/NAME.iso from the kernel and $work/initrd.img.
build_iso() {
  local name="$1" volume="$2" root="$work/iso-root" date
  mkdir -p "$root/boot" "$root/isolinux"
  cp "$kernel_root/boot/vmlinuz-$kver" "$root/boot/vmlinuz"
  cp "$work/initrd.img" "$root/boot/initrd.img"
  cp /usr/lib/ISOLINUX/isolinux.bin /usr/lib/syslinux/modules/bios/ldlinux.c32 "$here/isolinux/isolinux.cfg" "$root/isolinux/"
  normalize_tree "$root"
  date=$(date -u -d "@$SOURCE_DATE_EPOCH" +%Y%m%d%H%M%S00)
  # SOURCE_DATE_EPOCH in the environment makes xorriso fix the volume dates, the volume UUID and
  # the file dates; --modification-date and -volume_date say the same explicitly.
  SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH xorriso -report_about SORRY -as mkisofs \
    -o "$work/$name.iso" -V "$volume" -r \
    -isohybrid-mbr /usr/lib/ISOLINUX/isohdpfx.bin \
    -b isolinux/isolinux.bin -c isolinux/boot.cat -no-emul-boot -boot-load-size 4 -boot-info-table \
    --modification-date="$date" \
    "$root" -- \
    -volume_date all_file_dates "=$SOURCE_DATE_EPOCH" -volume_date uuid "$date"
}

inputs_digest() {
  {
    echo "epoch $SOURCE_DATE_EPOCH compression $compression kernel $kernel_root"
    (cd "$here" && sha256sum build.sh modules.list rootfs/* isolinux/* && stat -c '%a %n' rootfs/*)
    if [[ "$mode" == appliance ]]; then
      echo "appliance"
      (cd "$endpoint_dist" && sha256sum appliance.mjs endpoint.mjs)
      local tool path
      for tool in "${APPLIANCE_TOOLS[@]}"; do
        path=$(readlink -f "$(command -v "$tool")")
        sha256sum "$path"
        shared_libs "$path" | xargs sha256sum
      done
      sha256sum /etc/mke2fs.conf
    else
      (cd "$tether_dist" && find . -type f -print0 | LC_ALL=C sort -z | xargs -0 sha256sum)
    fi
    sha256sum /usr/bin/node /bin/busybox /usr/lib/ISOLINUX/isolinux.bin /usr/lib/ISOLINUX/isohdpfx.bin /usr/lib/syslinux/modules/bios/ldlinux.c32
    shared_libs /usr/bin/node | xargs sha256sum
    dpkg-query -W -f='${Package} ${Version}\n' "${DEBIAN_PACKAGES[@]}"
  } | sha256sum | cut -d' ' -f1
}

human() { numfmt --to=iec-i --suffix=B --format='%.1f' "$1"; }

check_inputs() {
  if [[ "$mode" == appliance ]]; then
    [[ -f "$endpoint_dist/appliance.mjs" && -f "$endpoint_dist/endpoint.mjs" ]] || die "no appliance bundles in $endpoint_dist (appliance.mjs, endpoint.mjs): build the endpoint first (npm run build -w @vic/endpoint) or pass --endpoint-dist DIR"
    endpoint_dist=$(cd "$endpoint_dist" && pwd)
  else
    [[ -f "$tether_dist/tether.cjs" ]] || die "no tether bundle at $tether_dist/tether.cjs: build the tether first (npm run build -w @vic/tether) or pass --tether-dist DIR"
    tether_dist=$(cd "$tether_dist" && pwd)
  fi
}

build_bootstrap() {
  log "building with SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, initramfs compression $compression, tether from $tether_dist"
  build_bootstrap_initramfs
  build_floor_initramfs
  build_iso bootstrap VIC_BOOTSTRAP

  cp "$kernel_root/boot/vmlinuz-$kver" "$out/vmlinuz.partial" && mv "$out/vmlinuz.partial" "$out/vmlinuz"
  mv "$work/floor-initrd.img" "$out/floor-initrd.img"
  mv "$work/bootstrap.iso" "$out/bootstrap.iso"
}

build_appliance() {
  log "building the appliance with SOURCE_DATE_EPOCH=$SOURCE_DATE_EPOCH, initramfs compression $compression, endpoint from $endpoint_dist"
  build_appliance_initramfs
  build_iso appliance VIC_APPLIANCE
  mv "$work/appliance.iso" "$out/appliance.iso"
}

main() {
  check_inputs
  : "${SOURCE_DATE_EPOCH:=$(git -C "$repo" log -1 --format=%ct -- iso-build 2>/dev/null || true)}"
  : "${SOURCE_DATE_EPOCH:=1700000000}"
  export SOURCE_DATE_EPOCH

  mkdir -p "$out" "$cache"
  out=$(cd "$out" && pwd)
  # Tests and engineers may build at the same time: one build per output folder at a time.
  exec 9> "$out/.lock"
  flock 9

  # Each mode keeps its own digest: building one never makes the other stale.
  local digest_file="$out/.inputs.sha256" outputs=(bootstrap.iso vmlinuz floor-initrd.img) iso=bootstrap.iso output complete=1
  if [[ "$mode" == appliance ]]; then digest_file="$out/.appliance-inputs.sha256" outputs=(appliance.iso) iso=appliance.iso; fi
  ensure_packages
  fetch_kernel
  local digest
  digest=$(inputs_digest)
  for output in "${outputs[@]}"; do [[ -f "$out/$output" ]] || complete=0; done
  if ((!force && complete)) && [[ -f "$digest_file" && "$(cat "$digest_file")" == "$digest" ]]; then
    log "up to date: $out/$iso"
    return
  fi

  work=$(mktemp -d "${TMPDIR:-/tmp}/vic-iso-build.XXXXXX")
  trap 'rm -rf "$work"' EXIT
  rm -f "$digest_file"
  "build_$mode"
  echo "$digest" > "$digest_file"

  local elapsed=$((($(date +%s%N) - started) / 1000000))
  log "kernel:    $kver"
  log "initramfs: $(human "$(stat -c %s "$work/initrd.img")") $compression, $(human "$(stat -c %s "$work/initrd.img.cpio")") uncompressed"
  [[ "$mode" == bootstrap ]] && log "floor:     $(human "$(stat -c %s "$out/floor-initrd.img")") $compression"
  log "ISO:       $(human "$(stat -c %s "$out/$iso")") $out/$iso"
  log "sha256:    $(sha256sum "$out/$iso" | cut -d' ' -f1)"
  log "done in $((elapsed / 1000)).$(printf '%03d' $((elapsed % 1000))) s"
}

main
