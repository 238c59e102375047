#!/usr/bin/env python3
"""mkcpio: write a CPIO "newc" archive (the initramfs), reproducibly.

    tools/mkcpio.py -o OUT NAME=PATH [NAME=PATH ...]

Each NAME=PATH stores the file at PATH under NAME (a relative path such as
"init" or "test/ipc"); parent directories get their own entries first, as
Linux's initramfs unpacker needs. Every field that would differ between builds
is fixed: mtime 0, uid and gid 0, inode numbers counted from 1 in the order
written, one link; permissions are the file's own (0755 for directories).
Entries are written in sorted order, then the TRAILER!!! entry; padding is
to 4 bytes (no 512-byte block padding). Format: cpio(5), "New ASCII Format".

Only the Python standard library is used.
"""

import argparse
import os
import stat
import sys

MAGIC = b"070701"


def header(ino, mode, size, namesize):
    fields = [ino, mode, 0, 0, 1, 0, size, 0, 0, 0, 0, namesize, 0]
    return MAGIC + b"".join(b"%08X" % f for f in fields)


def pad4(n):
    return b"\0" * ((4 - n % 4) % 4)


def entry(out, ino, name, mode, data):
    raw = name.encode() + b"\0"
    chunk = header(ino, mode, len(data), len(raw)) + raw
    out += chunk + pad4(len(out) + len(chunk))
    out += data + pad4(len(out) + len(data))


def build(pairs):
    files = {}
    for name, path in pairs:
        name = name.lstrip("/")
        while name.startswith("./"):
            name = name[2:]
        if not name or name in files:
            raise ValueError(f"bad or duplicate name '{name}'")
        files[name] = path
    dirs = set()
    for name in files:
        parts = name.split("/")[:-1]
        for i in range(1, len(parts) + 1):
            dirs.add("/".join(parts[:i]))
    out = bytearray()
    ino = 1
    for name in sorted(dirs | set(files)):
        if name in dirs:
            entry(out, ino, name, stat.S_IFDIR | 0o755, b"")
        else:
            with open(files[name], "rb") as f:
                data = f.read()
            perm = stat.S_IMODE(os.stat(files[name]).st_mode)
            entry(out, ino, name, stat.S_IFREG | perm, data)
        ino += 1
    entry(out, 0, "TRAILER!!!", 0, b"")
    return bytes(out)


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("-o", "--output", required=True)
    ap.add_argument("files", nargs="+", metavar="NAME=PATH")
    args = ap.parse_args()
    pairs = []
    for spec in args.files:
        name, sep, path = spec.partition("=")
        if not sep or not path:
            ap.error(f"'{spec}' is not NAME=PATH")
        pairs.append((name, path))
    try:
        data = build(pairs)
    except (OSError, ValueError) as e:
        print(f"mkcpio: {e}", file=sys.stderr)
        return 1
    tmp = args.output + ".tmp"
    with open(tmp, "wb") as f:
        f.write(data)
    os.replace(tmp, args.output)
    return 0


if __name__ == "__main__":
    sys.exit(main())
