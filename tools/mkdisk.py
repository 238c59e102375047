#!/usr/bin/env python3
"""Writes the test disk of the virtio-blk tests: SECTORS sectors of 512 bytes,
byte j of sector s being "WEFT"[j] for j < 4, byte j - 4 of s (little-endian)
for j < 8, and ((s * 7 + j) ^ 0x5a) & 0xff after (user/test/t_vblk.c computes
the same)."""
import sys

SECTOR = 512


def sector(s):
    head = b"WEFT" + (s & 0xFFFFFFFF).to_bytes(4, "little")
    return head + bytes(((s * 7 + j) ^ 0x5A) & 0xFF for j in range(8, SECTOR))


def main(argv):
    if len(argv) not in (2, 3) or argv[1] in ("-h", "--help"):
        print("usage: mkdisk.py OUTPUT [SECTORS]  (default 2048 sectors: 1 MiB)", file=sys.stderr)
        return 2
    count = int(argv[2]) if len(argv) == 3 else 2048
    with open(argv[1], "wb") as f:
        for s in range(count):
            f.write(sector(s))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
