#!/usr/bin/env python3
"""Runs the benchmarks across CPUs (docs/perf/smp.md has the method) in QEMU
under -icount shift=0,sleep=off and collects their JSON lines.

Usage: run.py --qemu "qemu-system-x86_64 -machine pc ..." --json OUT [--cpus 2,4]
              [--test-kernel KERNEL] [--user KERNEL INITRD] [--linux VMLINUZ INITRD]

  --test-kernel  Weft's test image booted at each CPU count of --cpus with
                 `ktest=bench_smp/ ktest.cpus=N` (kernel/test/arch/x86_64/bench_smp_ktest.c:
                 IPC across CPUs, and on one CPU beside a busy one)
  --user         Weft's kernel and the user suite's initramfs booted at 4 CPUs
                 with `init=utest utest=smp/unmap_cost` (user/test/t_smp.c: an
                 Unmap of a page touched on 1, 2 and 4 CPUs; "figure:" lines)
  --linux        the Linux guest (docs/perf/linux.md) at 4 CPUs, its initramfs
                 running bench/linux/smpunmap.c (munmap, the same cases)

Every line that parses as a JSON object with "bench": "smp" is kept, and the
user suite's figure lines become such objects. A run fails if a self-check
fails (a `not ok` line or "linux-bench: FAIL"), if a boot runs with fewer CPUs
than asked, or if no figure comes back. Python standard library only.
"""

import argparse
import json
import re
import shlex
import subprocess
import sys

FIGURE = re.compile(r"^figure: smp\.unmap_touched_by_(\d+)_cpus (\d+)$")


def boot(qemu, cpus, extra, stop=None, timeout=600):
    """The console of one boot; with stop, QEMU is ended once a line matches it
    (a release user suite cannot end QEMU itself)."""
    cmd = shlex.split(qemu) + ["-smp", str(cpus)] + extra
    p = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    lines = []
    try:
        for raw in p.stdout:
            line = raw.decode("utf-8", "replace").rstrip("\r\n")
            lines.append(line)
            if stop and re.search(stop, line):
                break
    finally:
        p.kill()
        p.wait(timeout=timeout)
    return lines


def collect(lines, what, want_cpus=None):
    rows, bad = [], []
    for line in lines:
        line = line.strip()
        if line.startswith("not ok") or line.startswith("linux-bench: FAIL") or \
                line.startswith("PANIC"):
            bad.append(line)
        m = FIGURE.match(line)
        if m:
            rows.append({"bench": "smp", "arch": "x86_64", "cluster_order": None,
                         "cpus": int(m.group(1)), "case": "unmap_touched", "space": "-",
                         "path": "-", "iterations": 20, "instructions_per_op": int(m.group(2))})
        elif line.startswith("{"):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get("bench") == "smp":
                rows.append(row)
    if want_cpus is not None and any(r.get("cpus") != want_cpus for r in rows):
        bad.append(f"asked for {want_cpus} CPUs, the kernel ran with others")
    if bad or not rows:
        sys.exit(f"bench-smp: {what}: " + ("; ".join(bad) if bad else "no figures") + "\n" +
                 "\n".join(lines))
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__.split("\n\n", 2)[2])
    ap.add_argument("--qemu", required=True, help="QEMU command line, without -smp and -kernel")
    ap.add_argument("--json", required=True, help="where the results go (one object a line)")
    ap.add_argument("--cpus", default="2,4", help="CPU counts of --test-kernel (default 2,4)")
    ap.add_argument("--test-kernel", help="Weft's test image (weft-test.elf)")
    ap.add_argument("--user", nargs=2, metavar=("KERNEL", "INITRD"),
                    help="Weft's kernel and the user suite's initramfs")
    ap.add_argument("--cluster-order", type=int, default=4, help="of the --user kernel")
    ap.add_argument("--linux", nargs=2, metavar=("VMLINUZ", "INITRD"), help="the Linux guest")
    ap.add_argument("--linux-append", default="console=ttyS0 quiet panic=-1 maxcpus=1",
                    help="the Linux guest's command line (maxcpus=1: its /init brings the "
                         "other CPUs online, see docs/perf/smp.md)")
    args = ap.parse_args()
    if not (args.test_kernel or args.user or args.linux):
        ap.error("nothing to run: give --test-kernel, --user or --linux")
    rows = []
    if args.test_kernel:
        for n in [int(c) for c in args.cpus.split(",")]:
            lines = boot(args.qemu, n, ["-kernel", args.test_kernel, "-append",
                                        f"ktest=bench_smp/ ktest.cpus={n}"])
            rows += collect(lines, f"{args.test_kernel} -smp {n}", n)
    if args.user:
        lines = boot(args.qemu, 4, ["-kernel", args.user[0], "-initrd", args.user[1], "-append",
                                    "init=utest utest=smp/unmap_cost"],
                     stop=r"^utest: suite done|^PANIC")
        got = collect(lines, f"{args.user[0]} utest=smp/unmap_cost")
        for r in got:
            r["cluster_order"] = args.cluster_order
        if sorted(r["cpus"] for r in got) != [1, 2, 4]:
            sys.exit("bench-smp: the user suite did not measure 1, 2 and 4 CPUs")
        rows += got
    if args.linux:
        lines = boot(args.qemu, 4, ["-kernel", args.linux[0], "-initrd", args.linux[1],
                                    "-append", args.linux_append])
        got = collect(lines, f"{args.linux[0]} smpunmap")
        if sorted(r["cpus"] for r in got) != [1, 2, 4]:
            sys.exit("bench-smp: the Linux guest did not measure 1, 2 and 4 CPUs")
        rows += got
    with open(args.json, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    for r in rows:
        who = "linux" if r.get("system") == "linux" else f"weft c{r['cluster_order']}"
        print(f"{who:<8} {r['cpus']} CPUs  {r['case']:<28} {r.get('space', '-'):<20} "
              f"{r.get('path', '-'):<5} {r['instructions_per_op']:>8}")


if __name__ == "__main__":
    main()
