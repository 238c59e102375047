#!/usr/bin/env python3
"""Where the instructions of a Linux system call through lx go, by symbol.

Builds bench/linux/lxprof.c (musl-gcc, linked at 0x10000000), boots Weft with lx
running `lxprof MODE N` (the boot configuration of make bench-lx) under QEMU with
one instruction per translation block and `-d exec,nochain`, reads the trace
through a FIFO, counts every address executed between the program's first call
of prof_begin and its next of prof_end, and gives each to its symbol: the
kernel's (KERNEL), lx's (LX, linked at 0x400000) or the program's (0x10000000
up). Prints the instructions per operation (count / N) of every symbol above
--min, largest first, and the totals of the three. The whole boot is traced
(minutes); the counts are the loop's alone. docs/perf/linux.md quotes it.

  bench/linux/lxprofile.py --mode getppid|pipe [--ops N] [--min X]
      [--kernel build/x86_64-c4/weft.elf] [--user build/x86_64-c4/user]

Needs musl-gcc, qemu-system-x86_64 and nm; run `make` (and `make bench-lx` once)
first: it takes the stripped user programs from --user and lx's symbols from
LX (--user/lx.elf).
"""

import argparse
import bisect
import collections
import glob
import os
import re
import subprocess
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(os.path.dirname(HERE))


def symbols(path):
    out = subprocess.run(["nm", "-n", path], stdout=subprocess.PIPE, check=True).stdout.decode()
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1] in "tTwW":
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def lookup(table, pc):
    addrs, names = table
    i = bisect.bisect_right(addrs, pc) - 1
    return names[i] if i >= 0 else "?"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mode", choices=["getppid", "pipe"], required=True)
    ap.add_argument("--ops", type=int, default=100)
    ap.add_argument("--min", type=float, default=1.0)
    ap.add_argument("--kernel", default="build/x86_64-c4/weft.elf")
    ap.add_argument("--user", default="build/x86_64-c4/user")
    ap.add_argument("--qemu", default="qemu-system-x86_64")
    a = ap.parse_args()
    os.chdir(ROOT)
    with tempfile.TemporaryDirectory() as d:
        prog = os.path.join(d, "lxprof")
        subprocess.run(["musl-gcc", "-static", "-O2", "-Wl,-Ttext-segment=0x10000000", "-o", prog,
                        os.path.join(HERE, "lxprof.c")], check=True)
        ptab = symbols(prog)
        begin = ptab[0][ptab[1].index("prof_begin")]
        end = ptab[0][ptab[1].index("prof_end")]
        rc = os.path.join(d, "lx.rc")
        with open(rc, "w") as f:
            f.write(f"/bench/lxprof {a.mode} {a.ops}\n")
        cpio = os.path.join(d, "initrd.cpio")
        files = [f"{os.path.basename(p)[:-len('.stripped')]}={p}"
                 for p in sorted(glob.glob(os.path.join(a.user, "*.stripped")))]
        subprocess.run(["python3", "tools/mkcpio.py", "-o", cpio] + files +
                       ["lx.conf=tests/linux/lx-bench.conf", "lx.rc=" + rc, "bench/lxprof=" + prog],
                       check=True)
        fifo = os.path.join(d, "trace")
        os.mkfifo(fifo)
        serial = os.path.join(d, "serial.log")
        qemu = subprocess.Popen(
            [a.qemu, "-machine", "pc", "-cpu", "max", "-smp", "1", "-display", "none", "-no-reboot",
             "-device", "isa-debug-exit,iobase=0x501,iosize=2", "-serial", "file:" + serial,
             "-monitor", "none", "-icount", "shift=0,sleep=off", "-m", "2G", "-kernel", a.kernel,
             "-initrd", cpio, "-append", "init.conf=lx.conf init.run=lx", "-d", "exec,nochain",
             "-D", fifo, "-singlestep"])
        count = collections.Counter()
        pat = re.compile(r"\[[0-9a-f]+/([0-9a-f]+)/")
        on = False
        with open(fifo, encoding="ascii", errors="replace") as f:
            for line in f:
                m = pat.search(line)
                if not m:
                    continue
                pc = int(m.group(1), 16)
                if not on:
                    on = pc == begin
                    if not on:
                        continue
                elif pc == end:
                    break
                count[pc] += 1
            for _ in f:  # let QEMU finish writing
                pass
        qemu.wait()
        with open(serial, encoding="utf-8", errors="replace") as f:
            if "lxprof: " + a.mode + " done" not in f.read():
                raise SystemExit("lxprofile: the program did not finish (serial log: lost)")
    ktab, lxtab = symbols(a.kernel), symbols(os.path.join(a.user, "lx.elf"))
    per, group = collections.Counter(), collections.Counter()
    for pc, n in count.items():
        if pc >= 1 << 47:
            name = "kernel:" + lookup(ktab, pc)
        elif 0x10000000 <= pc < 0x20000000:
            name = "program:" + lookup(ptab, pc)
        else:
            name = "lx:" + lookup(lxtab, pc)
        per[name] += n
        group[name.split(":")[0]] += n
    for name, n in per.most_common():
        if n / a.ops >= a.min:
            print(f"{n / a.ops:10.1f}  {name}")
    for name, n in group.most_common():
        print(f"{n / a.ops:10.1f}  [{name}]")
    print(f"{sum(group.values()) / a.ops:10.1f}  total per {a.mode == 'pipe' and 'round trip' or 'call'}")


if __name__ == "__main__":
    main()
