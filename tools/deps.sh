#!/usr/bin/env bash
# Installs every Debian package Weft's build, run and tests need.
#
#   tools/deps.sh           install what is missing (as root: apt-get; otherwise
#                           print the exact command and exit 1)
#   tools/deps.sh --check   exit 0 if everything is present, 1 otherwise
#   tools/deps.sh --list    print the package list
#   tools/deps.sh --source NAME=VERSION DIR
#                           unpack Debian's source package NAME, version VERSION,
#                           into DIR/NAME-UPSTREAM (apt verifies it against the
#                           signed archive index); as root it first adds the
#                           deb-src entry it needs (SRC_LIST below)
set -euo pipefail

PACKAGES=(
    make clang lld llvm                      # cross toolchain (clang, ld.lld, llvm-nm/objcopy)
    clang-format                             # make format-check
    python3                                  # generators, qemu-test
    qemu-system-x86                          # in-guest tests, make run
    qemu-system-arm                          # aarch64 boot tests (make check-guest ARCH=aarch64)
    qemu-system-misc                         # riscv64 virt (its device tree in tests/dt/)
    opensbi                                  # riscv64: OpenSBI fw_dynamic, the M-mode firmware (make check-guest ARCH=riscv64)
    device-tree-compiler                     # dtc: tests/dt/*.dts for the device-tree reader's tests
    grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf   # make iso, UEFI boot test
    cpio                                     # initramfs
    e2fsprogs                                # ext2 images (mke2fs -d) and e2fsck in the host tests
    libcriterion-dev                         # host unit tests
    libclang-rt-14-dev                       # sanitizer and libFuzzer runtimes
    libgcc-12-dev-arm64-cross                # libgcc.a for aarch64: the 128-bit long double routines musl needs
    libgcc-12-dev-riscv64-cross              # libgcc.a for riscv64: the same routines (its long double is binary128 too)
    git                                      # make format-check lists tracked files
    gnuplot-nox                              # benchmark plots
    gdb                                      # make debug
    musl-tools                               # static Linux guest programs (make bench-linux)
    busybox-static                           # /bin/busybox: a Linux program make check-lx runs under lx
    dpkg-dev                                 # apt-get source unpacks with dpkg-source
    curl                                     # make check-net-sock: the host fetches from the guest
)

# Source packages the build compiles with Weft's own port files (never copied into
# the repository): fetched from the archive the machine's binary packages come from.
SRC_LIST=/etc/apt/sources.list.d/weft-src.sources

# fetch_source NAME=VERSION DIR: see the usage above.
fetch_source() {
    local spec=$1 dir=$2 name=${1%%=*} ver=${1#*=}
    local up=${ver%-*}
    up=${up#*:}
    if [ -d "$dir/$name-$up" ]; then
        return 0
    fi
    if ! apt-get source --print-uris "$spec" >/dev/null 2>&1; then
        if [ "$(id -u)" -ne 0 ]; then
            echo "deps.sh: no deb-src entry for $name. Run as root: tools/deps.sh --source $spec $dir" >&2
            exit 1
        fi
        local uris suites
        uris=$(sed -n 's/^URIs: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        suites=$(sed -n 's/^Suites: *//p' /etc/apt/sources.list.d/debian.sources 2>/dev/null | head -n 1)
        [ -n "$uris" ] || uris=http://deb.debian.org/debian
        [ -n "$suites" ] || suites=bookworm
        printf 'Types: deb-src\nURIs: %s\nSuites: %s\nComponents: main\nSigned-By: /usr/share/keyrings/debian-archive-keyring.gpg\n' \
            "$uris" "$suites" > "$SRC_LIST"
        apt-get update -qq
    fi
    local tmp
    tmp=$(mktemp -d "${TMPDIR:-/tmp}/weft-src.XXXXXX")
    # dpkg-source checks the .dsc's checksums of every file apt fetched.
    (cd "$tmp" && apt-get source -qq "$spec" >/dev/null 2>&1) || {
        rm -rf "$tmp"
        echo "deps.sh: apt-get source $spec failed" >&2
        exit 1
    }
    mkdir -p "$dir"
    rm -rf "${dir:?}/$name-$up"
    mv "$tmp/$name-$up" "$dir/$name-$up"
    rm -rf "$tmp"
}

missing() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

case "${1:-}" in
--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
--check) [ -z "$(missing)" ]; exit $? ;;
--source)
    [ $# -eq 3 ] || { echo "usage: tools/deps.sh --source NAME=VERSION DIR" >&2; exit 2; }
    fetch_source "$2" "$3"
    exit 0 ;;
-h|--help) sed -n '2,14p' "$0"; exit 0 ;;
"") ;;
*) echo "deps.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
esac

need=$(missing | tr '\n' ' ')
if [ -z "$need" ]; then
    echo "deps.sh: all packages present"
    exit 0
fi
cmd="apt-get install -y --no-install-recommends $need"
if [ "$(id -u)" -ne 0 ]; then
    echo "deps.sh: missing packages. Run as root:"
    echo "  apt-get update && $cmd"
    exit 1
fi
echo "deps.sh: installing $need"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
# shellcheck disable=SC2086
apt-get install -y -qq --no-install-recommends $need
