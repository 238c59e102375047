#!/usr/bin/env bash
# Fetches the Linux guest kernel for the side-by-side benchmark (make bench-linux,
# docs/perf/linux.md): Debian's cloud kernel, taken from its .deb without
# installing anything into the system.
#
#   tools/linux-guest.sh [--dir DIR] [--package PKG] [--deb FILE] [--modules "M ..."]
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
# --modules names kernel modules (for example "virtio_pci virtio_blk": the cloud
# kernel builds them as modules) that are taken out of the same .deb with every
# module they depend on (the "depends=" of each .ko's .modinfo section, what
# depmod writes into modules.dep; the .deb ships no modules.dep):
#   DIR/modules/NAME.ko  each module, as shipped (signed, uncompressed)
#   DIR/modules/order    their names, one a line, each after its dependencies
#                        (the order the guest's /init loads them in)
# A second run with the same resolved package does nothing (the cache). --deb
# extracts a .deb already on disk (offline use). Prints DIR/vmlinuz's path on
# success; exits 1 with the reason if the kernel cannot be had.
set -euo pipefail

dir=build/linux
pkg=linux-image-cloud-amd64
deb=""
modules=""
while [ $# -gt 0 ]; do
    case "$1" in
    --dir) dir="$2"; shift 2 ;;
    --package) pkg="$2"; shift 2 ;;
    --deb) deb="$2"; shift 2 ;;
    --modules) modules="$2"; shift 2 ;;
    -h|--help) sed -n '2,26p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
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
    if [ -n "$modules" ]; then extract_modules "$1" "$2 $3"; fi
}

# extract_modules DEB "NAME VERSION": DIR/modules/ for the --modules list.
extract_modules() {
    local tmp
    command -v python3 >/dev/null || fail "'python3' is missing (Debian: python3)"
    tmp=$(mktemp -d "$dir/extract.XXXXXX")
    if ! dpkg-deb --fsys-tarfile "$1" | tar -x -C "$tmp" --wildcards './lib/modules/*/kernel' \
        2>/dev/null; then
        rm -rf "$tmp"
        fail "$1 holds no lib/modules/*/kernel"
    fi
    mkdir -p "$tmp/out"
    if ! python3 - "$tmp" "$tmp/out" $modules <<'EOF'; then
import os, shutil, struct, sys

def modinfo(path):
    """The NUL-separated key=value strings of an ELF64 .ko's .modinfo section."""
    with open(path, "rb") as f:
        elf = f.read()
    if elf[:4] != b"\x7fELF" or elf[4] != 2 or elf[5] != 1:
        sys.exit(f"{path}: not a little-endian ELF64 file")
    shoff, = struct.unpack_from("<Q", elf, 0x28)
    shentsize, shnum, shstrndx = struct.unpack_from("<HHH", elf, 0x3a)
    secs = [struct.unpack_from("<IIQQQQ", elf, shoff + i * shentsize) for i in range(shnum)]
    stroff = secs[shstrndx][4]
    for name, _, _, _, off, size in secs:
        if elf[stroff + name:elf.index(b"\0", stroff + name)] == b".modinfo":
            return dict(kv.split("=", 1) for kv in elf[off:off + size].decode().split("\0")
                        if "=" in kv)
    return {}

root, out, wanted = sys.argv[1], sys.argv[2], sys.argv[3:]
paths = {}
for d, _, files in os.walk(os.path.join(root, "lib")):
    for f in files:
        if f.endswith(".ko"):
            paths[f[:-3].replace("-", "_")] = os.path.join(d, f)
order = []

def add(name, chain):
    name = name.replace("-", "_")
    if name in order:
        return
    if name in chain:
        sys.exit("linux-guest.sh: modules depend on each other in a loop: " + " ".join(chain))
    if name not in paths:
        sys.exit(f"linux-guest.sh: the package has no module '{name}' (built in, or misspelt?)")
    for dep in filter(None, modinfo(paths[name]).get("depends", "").split(",")):
        add(dep, chain + [name])
    order.append(name)

for m in wanted:
    add(m, [])
for m in order:
    shutil.copyfile(paths[m], os.path.join(out, m + ".ko"))
with open(os.path.join(out, "order"), "w") as f:
    f.write("".join(m + "\n" for m in order))
EOF
        rm -rf "$tmp"
        exit 1
    fi
    echo "$2 $modules" > "$tmp/out/stamp"
    rm -rf "$dir/modules"
    mv "$tmp/out" "$dir/modules"
    rm -rf "$tmp"
}

# Whether DIR/modules holds the --modules list for the package "NAME VERSION".
modules_ok() {
    [ -z "$modules" ] || [ "$(cat "$dir/modules/stamp" 2>/dev/null)" = "$1 $modules" ]
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
    if [ -f "$dir/vmlinuz" ] && [ -n "$cached" ] && ! modules_ok "$cached"; then
        cdeb=$(ls "$dir/deb/${cached%% *}_"*.deb 2>/dev/null | head -n 1 || true)
        [ -n "$cdeb" ] || fail "apt knows no candidate for '$resolved' and the cached $cached
has no .deb left in $dir/deb to take the modules from (try --deb FILE)"
        extract_modules "$cdeb" "$cached"
    fi
    if [ -f "$dir/vmlinuz" ] && [ -n "$cached" ]; then
        echo "linux-guest.sh: apt does not know $pkg now; using the cached $cached" >&2
        echo "$dir/vmlinuz"
        exit 0
    fi
    fail "apt knows no candidate for '$resolved'. Its package lists may be missing or
stale: run 'apt-get update' as root (the machine must reach a Debian mirror), or
fetch the .deb elsewhere and run: tools/linux-guest.sh --deb FILE"
fi

if [ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/package" 2>/dev/null)" = "$resolved $version" ] &&
    modules_ok "$resolved $version"; then
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
if [ -f "$dir/vmlinuz" ] && [ "$(cat "$dir/package" 2>/dev/null)" = "$resolved $version" ]; then
    extract_modules "$file" "$resolved $version" # the kernel is there; only the modules
else
    extract "$file" "$resolved" "$version"
fi
echo "$dir/vmlinuz"
