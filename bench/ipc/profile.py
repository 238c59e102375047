#!/usr/bin/env python3
"""Where the instructions of one IPC benchmark go, by kernel symbol.

Boots KERNEL with `ktest=bench_ipc/CASE` under QEMU with one instruction per
translation block (`-accel tcg,one-insn-per-tb=on` on QEMU 8+, `-singlestep`
before) and `-d exec,nochain`, so that every executed instruction is one trace
line with its address; attributes each address to the kernel symbol containing it
(llvm-nm), to the user loops (KW_CODE) or to the firmware, and prints the instructions per
operation (count / --ops) of every symbol above --min, largest first.

The whole boot is traced, so symbols that also run outside the measured loop
(setup, teardown) show a small excess; the fast path's own symbols run only in
the loop. Usage (docs/perf/ipc.md):

  bench/ipc/profile.py --kernel build/bench-ipc-c4/weft.elf \\
      --case call_reply_recv_cross_space_fast_path --ops 1000

With --arch riscv64, KERNEL is the release test image's ELF (its Image, the
.img beside it, is what boots) and CASE a whole self-test name
(docs/arch-riscv64.md):

  bench/ipc/profile.py --arch riscv64 --kernel build/riscv64-c4-release/weft-test.elf \\
      --case umode/bench_call_reply_recv_round_trip --ops 6000

Python standard library only; needs qemu-system-x86_64 (qemu-system-riscv64
and Debian's OpenSBI for riscv64) and llvm-nm.
"""

import argparse
import bisect
import collections
import os
import re
import subprocess
import tempfile


def symbols(kernel, nm):
    out = subprocess.run([nm, "-n", kernel], stdout=subprocess.PIPE, check=True).stdout.decode()
    addrs, names = [], []
    for line in out.splitlines():
        parts = line.split()
        # (riscv64's assembler keeps its local .L labels in the symbol table)
        if len(parts) == 3 and parts[1] in "tTwW" and not parts[2].startswith(".L"):
            addrs.append(int(parts[0], 16))
            names.append(parts[2])
    return addrs, names


def one_insn_flag(qemu):
    ver = subprocess.run([qemu, "--version"], stdout=subprocess.PIPE, check=True).stdout.decode()
    major = int(re.search(r"version (\d+)", ver).group(1))
    return ["-accel", "tcg,one-insn-per-tb=on"] if major >= 8 else ["-singlestep"]


def main():
    ap = argparse.ArgumentParser(
        description="Where the instructions of one IPC benchmark go, by kernel symbol.")
    ap.add_argument("--kernel", required=True)
    ap.add_argument("--case", required=True)
    ap.add_argument("--ops", type=int, default=1000)
    ap.add_argument("--min", type=float, default=0.5)
    ap.add_argument("--arch", choices=["x86_64", "riscv64"], default="x86_64")
    ap.add_argument("--qemu")
    ap.add_argument("--nm", default="llvm-nm")
    a = ap.parse_args()
    addrs, names = symbols(a.kernel, a.nm)
    with tempfile.TemporaryDirectory() as d:
        log = os.path.join(d, "trace.log")
        serial_out = ["-serial", "file:" + os.path.join(d, "serial.out"), "-monitor", "none",
                      "-m", "128M", "-icount", "shift=0,sleep=off", "-d", "exec,nochain", "-D", log]
        if a.arch == "riscv64":
            qemu = a.qemu or "qemu-system-riscv64"
            test = a.case
            cmd = [qemu, "-machine", "virt", "-smp", "1", "-display", "none", "-no-reboot",
                   "-bios", "/usr/lib/riscv64-linux-gnu/opensbi/generic/fw_dynamic.bin"] + \
                serial_out + ["-kernel", os.path.splitext(a.kernel)[0] + ".img",
                              "-append", "ktest=" + test]
        else:
            qemu = a.qemu or "qemu-system-x86_64"
            test = "bench_ipc/" + a.case
            cmd = [qemu, "-machine", "pc", "-cpu", "max", "-smp", "1", "-display", "none",
                   "-no-reboot", "-device", "isa-debug-exit,iobase=0x501,iosize=2"] + \
                serial_out + ["-kernel", a.kernel, "-append", "ktest=" + test]
        subprocess.run(cmd + one_insn_flag(qemu), timeout=1200, check=False)
        with open(os.path.join(d, "serial.out"), encoding="utf-8", errors="replace") as f:
            serial = f.read()
        if ("ok 1 - " + test) not in serial:
            raise SystemExit("the benchmark did not pass:\n" + serial)
        count = collections.Counter()
        pat = re.compile(r"Trace \d+: 0x[0-9a-f]+ \[[0-9a-f]+/([0-9a-f]+)/")
        with open(log, encoding="utf-8", errors="replace") as f:
            for line in f:
                m = pat.search(line)
                if not m:
                    continue
                pc = int(m.group(1), 16)
                if pc < 1 << 47:
                    # the benchmark loops live at KW_CODE (ktest_world.h); the rest
                    # of the lower half is the firmware before the kernel
                    user = 0x500000 <= pc < 0x600000
                    count["user (benchmark loops)" if user else "firmware"] += 1
                    continue
                i = bisect.bisect_right(addrs, pc) - 1
                count[names[i] if i >= 0 else "?"] += 1
    total = 0.0
    for name, n in count.most_common():
        per = n / a.ops
        if per >= a.min:
            total += per
            print(f"{per:10.1f}  {name}")
    print(f"{total:10.1f}  total of the lines above")


if __name__ == "__main__":
    main()
