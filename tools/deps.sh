#!/usr/bin/env bash
# Installs every Debian package Weft's build, run and tests need.
#
#   tools/deps.sh           install what is missing (as root: apt-get; otherwise
#                           print the exact command and exit 1)
#   tools/deps.sh --check   exit 0 if everything is present, 1 otherwise
#   tools/deps.sh --list    print the package list
set -euo pipefail

PACKAGES=(
    make clang lld llvm                      # cross toolchain (clang, ld.lld, llvm-nm/objcopy)
    clang-format                             # make format-check
    python3                                  # generators, qemu-test
    qemu-system-x86                          # in-guest tests, make run
    grub-pc-bin grub-efi-amd64-bin grub-common xorriso mtools ovmf   # make iso, UEFI boot test
    cpio                                     # initramfs
    libcriterion-dev                         # host unit tests
    libclang-rt-14-dev                       # sanitizer and libFuzzer runtimes
    git                                      # make format-check lists tracked files
    gnuplot-nox                              # benchmark plots
    gdb                                      # make debug
    musl-tools                               # static Linux guest programs (make bench-linux)
)

missing() {
    local p
    for p in "${PACKAGES[@]}"; do
        dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || echo "$p"
    done
}

case "${1:-}" in
--list) printf '%s\n' "${PACKAGES[@]}"; exit 0 ;;
--check) [ -z "$(missing)" ]; exit $? ;;
-h|--help) sed -n '2,9p' "$0"; exit 0 ;;
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
