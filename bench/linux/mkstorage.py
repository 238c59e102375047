#!/usr/bin/env python3
"""Makes the ext2 image of the storage benchmark (make bench-linux-storage,
docs/perf/storage.md): the same image for Linux and for Weft's ext2 file server.

Usage:
  mkstorage.py IMAGE [--size-mib N]

IMAGE is made by `mke2fs -t ext2 -b 4096` (N MiB, default 192) from a staging
directory holding one file, /read64: 64 MiB whose 64-bit little-endian word at
byte offset o is 0x52454144 << 32 | o ("READ"; bench/linux/storage.c checks it).
The rest of the space is for what the benchmark writes (a 64 MiB file and 1,000
files of 4 KiB). The image is reproducible: a fixed UUID and hash seed, every
time 1 or 0 (E2FSPROGS_FAKE_TIME, the staged file's times, debugfs for its ctime), root-owned, and mke2fs's
configuration file ignored (MKE2FS_CONFIG) in favour of the options given here:
256-byte inodes, one per 16 KiB, the features Debian's mke2fs.conf gives ext2
(sparse_super, large_file, filetype, resize_inode, dir_index, ext_attr).
Python standard library and e2fsprogs (mke2fs, debugfs) only.
"""

import argparse
import os
import shutil
import struct
import subprocess
import sys

READ_SEED = 0x52454144
FILE_SIZE = 64 << 20
UUID = "57454654-7374-6f72-6167-650000000001"


def write_pattern(path):
    base = READ_SEED << 32
    with open(path, "wb") as f:
        for block in range(0, FILE_SIZE, 1 << 16):
            f.write(struct.pack("<8192Q", *range(base + block, base + block + (1 << 16), 8)))
    os.utime(path, (0, 0))


def main():
    ap = argparse.ArgumentParser(description="make the storage benchmark's ext2 image")
    ap.add_argument("image")
    ap.add_argument("--size-mib", type=int, default=192)
    a = ap.parse_args()
    if a.size_mib < 160:
        ap.error("--size-mib: at least 160 (64 MiB read, 64 MiB written, 1,000 small files)")
    mke2fs = shutil.which("mke2fs") or "/sbin/mke2fs"
    staging = a.image + ".d"
    shutil.rmtree(staging, ignore_errors=True)
    os.makedirs(staging)
    write_pattern(os.path.join(staging, "read64"))
    os.utime(staging, (0, 0))
    tmp = a.image + ".tmp"
    if os.path.exists(tmp):
        os.remove(tmp)
    conf = a.image + ".conf"
    with open(conf, "w", encoding="utf-8") as f:
        for t in ("ext2", "bench"):
            f.write(("[fs_types]\n" if t == "ext2" else "") +
                    f"\t{t} = {{\n\t\tinode_size = 256\n\t\tinode_ratio = 16384\n\t}}\n")
    env = dict(os.environ, E2FSPROGS_FAKE_TIME="1", MKE2FS_CONFIG=conf)
    cmd = [mke2fs, "-q", "-F", "-t", "ext2", "-T", "bench", "-b", "4096", "-I", "256", "-i", "16384",
           "-O", "none,sparse_super,large_file,filetype,resize_inode,dir_index,ext_attr",
           "-U", UUID, "-E", f"hash_seed={UUID},root_owner=0:0", "-L", "weftbench",
           "-d", staging, tmp, f"{a.size_mib}M"]
    r = subprocess.run(cmd, env=env, check=False, stdout=subprocess.DEVNULL)
    shutil.rmtree(staging, ignore_errors=True)
    os.remove(conf)
    if r.returncode != 0:
        sys.exit(f"mkstorage.py: mke2fs failed ({r.returncode}): {' '.join(cmd)}")
    # mke2fs -d gives the copied file the current time as its ctime: 1, as the rest.
    debugfs = shutil.which("debugfs") or "/sbin/debugfs"
    r = subprocess.run([debugfs, "-w", "-R", "set_inode_field /read64 ctime 1", tmp],
                       env=env, check=False, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    if r.returncode != 0 or r.stderr.strip(b"\n").count(b"\n") > 0:
        sys.exit(f"mkstorage.py: debugfs failed: {r.stderr.decode(errors='replace')}")
    os.replace(tmp, a.image)
    return 0


if __name__ == "__main__":
    sys.exit(main())
