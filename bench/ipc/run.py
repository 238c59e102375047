#!/usr/bin/env python3
"""Runs the IPC benchmarks (kernel/test/bench_ktest.c) in QEMU under
-icount shift=0,sleep=off for each kernel given and collects their JSON lines.

Usage: run.py --qemu "qemu-system-x86_64 -machine pc ..." --json OUT
              [--ktest PREFIXES] [--log-dir DIR] KERNEL...

Each kernel boots with `ktest=bench_ipc/` (or --ktest's comma-separated
prefixes: make figures-ipc adds bench_vm/, the kernel-level VM figures, in the
same boot); every line that parses as a JSON object with "bench": "ipc" is
kept, and with --log-dir the whole serial output goes to DIR/cO.log (O the
kernel's cluster order). The run fails if a self-test fails (a `not ok` line)
or no figure comes back. Python standard library only.
"""

import argparse
import json
import os
import shlex
import subprocess
import sys


def run_one(qemu, kernel, ktest="bench_ipc/", log_dir=None):
    cmd = shlex.split(qemu) + ["-kernel", kernel, "-append", f"ktest={ktest}"]
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
            if row.get("bench") == "ipc":
                rows.append(row)
    if bad or not rows:
        sys.exit(f"bench-ipc: {kernel}: " + ("; ".join(bad) if bad else "no figures") + "\n" + out)
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        with open(os.path.join(log_dir, f"c{rows[0]['cluster_order']}.log"), "w",
                  encoding="utf-8") as f:
            f.write(out)
    return rows


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", required=True)
    ap.add_argument("--json", required=True)
    ap.add_argument("--ktest", default="bench_ipc/", help="the self-tests each boot runs")
    ap.add_argument("--log-dir", help="keep each boot's serial output here")
    ap.add_argument("kernels", nargs="+")
    a = ap.parse_args()
    rows = []
    for k in a.kernels:
        rows += run_one(a.qemu, k, a.ktest, a.log_dir)
    with open(a.json, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    for r in rows:
        print(f"  c{r['cluster_order']} {r['case']:<28} {r['space']:<5} {r['path']:<5} "
              f"{r['instructions_per_op']:>9} instructions/op")


if __name__ == "__main__":
    main()
