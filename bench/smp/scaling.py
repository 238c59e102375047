#!/usr/bin/env python3
"""scaling.py: the scaling of CPU-bound work from 1 to 2 vCPUs (docs/perf/smp.md).

    bench/smp/scaling.py [--runs 5] [--kernel K] [--initrd I] [--qemu QEMU]

Boots Weft's user suite with `init=utest utest=smp/scaling smp.scaling=1`
(user/test/t_smp.c, smp/scaling_of_two_counting_threads: two threads counting
for one second of CLOCK time, one per CPU, both on CPU 0 at one CPU) at -smp 1
and -smp 2, alternating, --runs times each, under multi-threaded TCG without
-icount (so each vCPU is a host thread and the counts are wall-clock work).
Prints every run's increments per second, the median per CPU count and the
ratio of the medians. The figures depend on the host and its load: a shared
host gives noise, not the kernel's scaling (the counting threads make no
system calls). Not part of make check. Python standard library only.
"""

import argparse
import re
import shlex
import statistics
import subprocess
import sys

FIGURE = re.compile(r"^figure: smp\.scaling_cpus(\d+)_increments_per_s (\d+)")


def one(qemu, kernel, initrd, cpus):
    cmd = shlex.split(qemu) + ["-smp", str(cpus), "-kernel", kernel, "-initrd", initrd,
                               "-append", "init=utest utest=smp/scaling smp.scaling=1"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                         check=False).stdout.decode("utf-8", "replace")
    for line in out.splitlines():
        m = FIGURE.match(line.strip())
        if m:
            if int(m.group(1)) != cpus:
                sys.exit(f"scaling: asked for {cpus} CPUs, the guest had {m.group(1)}")
            return int(m.group(2))
    sys.exit(f"scaling: no figure at -smp {cpus}:\n{out}")


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--runs", type=int, default=5, help="boots per CPU count (default 5)")
    ap.add_argument("--kernel", default="build/x86_64-c4/weft.elf")
    ap.add_argument("--initrd", default="build/x86_64-c4/initramfs.cpio")
    ap.add_argument("--qemu", default="qemu-system-x86_64 -machine pc -cpu max -display none "
                    "-no-reboot -device isa-debug-exit,iobase=0x501,iosize=2 -serial stdio "
                    "-monitor none -m 256M -accel tcg,thread=multi")
    args = ap.parse_args()
    got = {1: [], 2: []}
    for _ in range(args.runs):
        for cpus in (1, 2):
            got[cpus].append(one(args.qemu, args.kernel, args.initrd, cpus))
            print(f"-smp {cpus}: {got[cpus][-1] / 1e6:.0f} million increments/s", flush=True)
    med = {c: statistics.median(v) for c, v in got.items()}
    for c in (1, 2):
        print(f"{c} vCPU{'s' if c > 1 else ''}: " +
              ", ".join(f"{v / 1e6:.0f}" for v in got[c]) + f" (millions/s); median {med[c] / 1e6:.0f}")
    print(f"ratio of the medians (2 / 1): {med[2] / med[1]:.2f}")


if __name__ == "__main__":
    main()
