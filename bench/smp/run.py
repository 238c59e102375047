#!/usr/bin/env python3
"""Runs the IPC benchmarks across CPUs (kernel/test/bench_smp_ktest.c) in QEMU
under -icount shift=0,sleep=off at each CPU count given and collects their
JSON lines (docs/perf/smp.md has the method).

Usage: run.py --qemu "qemu-system-x86_64 -machine pc ..." --json OUT
              --kernel KERNEL --cpus 2,4

Each boot is `-smp N` with `ktest=bench_smp/ ktest.cpus=N`; every line that
parses as a JSON object with "bench": "smp" is kept. The run fails if a
benchmark's self-check fails (a `not ok` line), if a boot brings up fewer CPUs
than asked, or if no figure comes back. Python standard library only.
"""

import argparse
import json
import shlex
import subprocess
import sys


def run_one(qemu, kernel, cpus):
    cmd = shlex.split(qemu) + ["-smp", str(cpus), "-kernel", kernel, "-append",
                               f"ktest=bench_smp/ ktest.cpus={cpus}"]
    out = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=300,
                         check=False).stdout.decode("utf-8", "replace")
    rows, bad = [], []
    for line in out.splitlines():
        line = line.strip()
        if line.startswith("not ok"):
            bad.append(line)
        if line.startswith("{"):
            try:
                row = json.loads(line)
            except ValueError:
                continue
            if row.get("bench") == "smp":
                rows.append(row)
    if any(r.get("cpus") != cpus for r in rows):
        bad.append(f"asked for {cpus} CPUs, the kernel ran with others")
    if bad or not rows:
        sys.exit(f"bench-smp: {kernel} -smp {cpus}: " + ("; ".join(bad) if bad else "no figures")
                 + "\n" + out)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", required=True, help="QEMU command line, without -smp and -kernel")
    ap.add_argument("--json", required=True, help="where the results go (one object a line)")
    ap.add_argument("--kernel", required=True, help="the test image (weft-test.elf)")
    ap.add_argument("--cpus", default="2,4", help="CPU counts, comma-separated (default 2,4)")
    args = ap.parse_args()
    rows = []
    for n in [int(c) for c in args.cpus.split(",")]:
        rows += run_one(args.qemu, args.kernel, n)
    with open(args.json, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r) + "\n")
    for r in rows:
        print(f"{r['cpus']} CPUs  {r['case']:<28} {r['space']:<20} {r['path']:<5} "
              f"{r['instructions_per_op']:>8}")


if __name__ == "__main__":
    main()
