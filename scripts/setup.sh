#!/usr/bin/env bash
# Installs what vic needs on a Debian 12 machine, as root. Idempotent: a second run changes nothing.
set -euo pipefail
cd "$(dirname "$0")/.."

# qemu runs the container VMs; xorriso/isolinux/cpio/zstd build the bootstrap ISO (lz4 the appliance ISO);
# busybox-static and e2fsprogs build test root file systems; e2fsprogs, erofs-utils and
# squashfs-tools turn image layers into guest disks (attr sets their overlay xattrs);
# docker-registry, apache2-utils (htpasswd), openssl and debootstrap serve and build test images.
DEBIAN_PACKAGES=(qemu-system-x86 qemu-utils xorriso isolinux syslinux-common busybox-static cpio e2fsprogs zstd lz4 binutils
  erofs-utils squashfs-tools attr docker-registry apache2-utils openssl debootstrap)

missing=()
for pkg in "${DEBIAN_PACKAGES[@]}"; do
  dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
done
if ((${#missing[@]} > 0)); then
  echo "setup: installing Debian packages: ${missing[*]}"
  apt-get -o DPkg::Lock::Timeout=600 update -qq
  DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=600 install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
else
  echo "setup: Debian packages present"
fi

# Reinstall npm packages when the lock file changed since the last install.
if [[ ! -f node_modules/.package-lock.json || package-lock.json -nt node_modules/.package-lock.json ]]; then
  echo "setup: installing npm packages"
  # npm ci refuses a lock that lists only this platform's optional packages (as this npm writes it);
  # npm install keeps the locked versions and completes it.
  npm install --no-audit --no-fund
else
  echo "setup: npm packages present"
fi

# vcsim (govmomi's vSphere simulator) is the peer of the packages/vsphere tests; built from Debian's govmomi.
bash scripts/vcsim/install-vcsim.sh >/dev/null
