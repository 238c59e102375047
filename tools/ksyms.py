#!/usr/bin/env python3
"""Build the kernel's symbol table for backtraces.

Reads `llvm-nm -n --defined-only` output on stdin and writes an assembly file
defining, in section .ksyms:
    ksyms_count   number of entries (8 bytes)
    ksyms_addrs   sorted function start addresses (8 bytes each)
    ksyms_offs    offset of each name in ksyms_names (4 bytes each)
    ksyms_names   NUL-terminated names
With --empty, writes the same symbols describing an empty table (link pass 1).
"""
import sys


def main():
    syms = []
    if "--empty" not in sys.argv[1:]:
        for line in sys.stdin:
            parts = line.split()
            if len(parts) != 3 or parts[1] not in ("t", "T"):
                continue
            addr, name = int(parts[0], 16), parts[2]
            if name.startswith("ksyms_") or name.startswith(".L"):
                continue
            syms.append((addr, name))
        syms.sort()
    out = ['\t.section .ksyms, "a"', "\t.balign 8"]
    for label in ("ksyms_count", "ksyms_addrs", "ksyms_offs", "ksyms_names"):
        out.append(f"\t.globl {label}")
    out.append(f"ksyms_count:\n\t.quad {len(syms)}")
    out.append("ksyms_addrs:")
    out += [f"\t.quad 0x{a:x}" for a, _ in syms]
    out.append("ksyms_offs:")
    off = 0
    for _, n in syms:
        out.append(f"\t.long {off}")
        off += len(n) + 1
    out.append("ksyms_names:")
    out += [f'\t.asciz "{n}"' for _, n in syms]
    print("\n".join(out))


if __name__ == "__main__":
    main()
