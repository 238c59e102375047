#!/usr/bin/env bash
# Fetches the Linux guest kernel for the side-by-side benchmark (make bench-linux,
# docs/perf/linux.md): Debian's cloud kernel, taken from its .deb without
# installing anything into the system.
#
#   tools/linux-guest.sh [--dir DIR] [--package PKG] [--deb FILE]
#   tools/linux-guest.sh --help
#
# PKG defaults to the metapackage linux-image-cloud-amd64, resolved through
# `apt-cache depends` to the versioned package it pulls in (for example
# linux-image-6.1.0-56-cloud-amd64). The .deb is fetched with `apt-get download`
# into DIR/deb (default DIR: build/linux), and only boot/vmlinuz-* and
# boot/config-* are taken out of it (dpkg-deb --fsys-tarfile | tar). Results:
#   DIR/vmlinuz        the kernel that make bench-linux boots
#   DIR/config         its build configuration
#   DIR/package        "NAME VERSION" of the package it came from
# A second run with the same resolved package does nothing (the cache). --deb
# extracts a .deb already on disk (offline use). Prints DIR/vmlinuz's path on
# success; exits 1 with the reason if the kernel cannot be had.
set -euo pipefail

dir=build/linux
pkg=linux-image-cloud-amd64
deb=""
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --package) pkg="$2"; shift 2 ;;
    --deb) deb="$2"; shift 2 ;;
    -h|--help) sed -n '2,19p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "linux-guest.sh: unknown option '$1' (try --help)" >&2; exit 2 ;;
    esac
done

fail() {
    echo "linux-guest.sh: $*" >&2
    exit 1
}

for t in dpkg-deb tar; do
    command -v "$t" >/dev/null || fail "'$t' is missing (Debian: dpkg, tar)"
done
mkdir -p "$dir"

extract() { # extract DEB NAME VERSION
    local tmp
    tmp=$(mktemp -d "$dir/extract.XXXXXX")
    # Only the kernel image and its config: the modules are ~100 MiB we do not need.
    if ! dpkg-deb --fsys-tarfile "$1" | tar -x -C "$tmp" --wildcards './boot/vmlinuz-*' \
        './boot/config-*' 2>/dev/null; then
        rm -rf "$tmp"
        fail "$1 holds no boot/vmlinuz-* (is it a linux-image package?)"
    fi
    local k c
    k=$(ls "$tmp"/boot/vmlinuz-* | head -n 1)
    c=$(ls "$tmp"/boot/config-* 2>/dev/null | head -n 1 || true)
    mv "$k" "$dir/vmlinuz"
    if [ -n "$c" ]; then mv "$c" "$dir/config"; fi
    echo "$2 $3" > "$dir/package"
    rm -rf "$tmp"
}

if [ -n "$deb" ]; then
    [ -f "$deb" ] || fail "no such file: $deb"
    extract "$deb" "$(dpkg-deb -f "$deb" Package)" "$(dpkg-deb -f "$deb" Version)"
    echo "$dir/vmlinuz"
    exit 0
fi

command -v apt-cache >/dev/null || fail "apt-cache is missing: fetch the .deb by hand and use --deb FILE"

# A metapackage (no files of its own) is replaced by the linux-image-* it depends on.
resolved="$pkg"
dep=$(apt-cache depends "$pkg" 2>/dev/null | sed -n 's/^ *Depends: \(linux-image-[^ <>]*\)$/\1/p' | head -n 1 || true)
if [ -n "$dep" ]; then resolved="$dep"; fi
version=$(apt-cache policy "$resolved" 2>/dev/null | sed -n 's/^ *Candidate: //p' || true)
if [ -z "$version" ] || [ "$version" = "(none)" ]; then
    cached=""
    [ -f "$dir/package" ] && cached=$(cat "$dir/package")
    if [ -f "$dir/vmlinuz" ] && [ -n "$cached" ]; then
        echo "linux-guest.sh: apt does not know $pkg now; using the cached $cached" >&2
        echo "$dir/vmlinuz"
        exit 0
    fi
    fail "apt knows no candidate for '$resolved'. Its package lists may be missing or
stale: run 'apt-get update' as root (the machine must reach a Debian mirror), or
fetch the .deb elsewhere and run: tools/linux-guest.sh --deb FILE"
fi

if [ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/package" 2>/dev/null)" = "$resolved $version" ]; then
    echo "$dir/vmlinuz"
    exit 0
fi

mkdir -p "$dir/deb"
file="$dir/deb/${resolved}_${version//:/%3a}_amd64.deb"
if [ ! -f "$file" ]; then
    echo "linux-guest.sh: fetching $resolved $version" >&2
    # As root apt drops to the _apt user, who may not be able to write here.
    sandbox=()
    [ "$(id -u)" -eq 0 ] && sandbox=(-o APT::Sandbox::User=root)
    if ! (cd "$dir/deb" && apt-get -q "${sandbox[@]}" download "$resolved=$version" >&2); then
        fail "could not download $resolved $version (no network, or no Debian mirror in
apt's sources?). Fetch the .deb elsewhere and run: tools/linux-guest.sh --deb FILE"
    fi
fi
[ -f "$file" ] || file=$(ls "$dir/deb/${resolved}_"*.deb | head -n 1)
extract "$file" "$resolved" "$version"
echo "$dir/vmlinuz"
