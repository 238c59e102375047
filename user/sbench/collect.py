#!/usr/bin/env python3
"""Boots Weft's storage benchmark and collects its figures (docs/perf/storage.md).

  collect.py --qemu "QEMU ARGS..." [--append CMDLINE] [--timeout S] [--log-dir DIR]
             --json OUT ORDER=KERNEL:INITRD ...

Each ORDER=KERNEL:INITRD is one boot: QEMU ARGS (the machine, -icount, the disk)
plus -kernel KERNEL -initrd INITRD -append CMDLINE (default init.run=sbench). The guest program
(user/sbench) prints one JSON line per figure, "sbench: done" at its end, and
"sbench: FAIL ..." when a check fails. A boot fails on a FAIL line, a missing
figure, no "sbench: done", init's report of a failed program, or the time limit.
The rows go to OUT as JSON lines, each with "cluster_order" added; the table of
them is printed. Python standard library only.

  collect.py --self-test   the log checks on canned logs (no QEMU)
"""
import argparse
import json
import os
import shlex
import subprocess
import sys
import tempfile

METRICS = [
    "seq_read_cold_instructions_per_mib",
    "seq_read_warm_instructions_per_mib",
    "seq_write_fsync_instructions_per_mib",
    "create_write_close_instructions_per_file",
    "create_sync_instructions_per_file",
    "stat_instructions_per_file",
    "unlink_instructions_per_file",
]
PREFIX = '{"bench": "storage"'


def parse(log, order):
    """(rows, failures) of one boot's serial log."""
    rows, fails = [], []
    done = False
    for line in log.splitlines():
        line = line.strip()
        if line.startswith(PREFIX):
            try:
                row = json.loads(line)
            except ValueError as e:
                fails.append(f"c{order}: a bad JSON line ({e}): {line[:80]}")
                continue
            row["cluster_order"] = order
            rows.append(row)
        elif line.startswith("sbench: FAIL"):
            fails.append(f"c{order}: {line}")
        elif line == "sbench: done":
            done = True
        elif line.startswith("init: test run done:") and "all exited 0" not in line:
            fails.append(f"c{order}: {line}")
    got = {r["metric"] for r in rows}
    for m in METRICS:
        if m not in got:
            fails.append(f"c{order}: no figure {m}")
    if not any(r["metric"].startswith("page_cache_") for r in rows):
        fails.append(f"c{order}: no page cache figure")
    if not done:
        fails.append(f"c{order}: the benchmark did not finish (no 'sbench: done')")
    return rows, fails


def boot(qemu, append, order, kernel, initrd, timeout, log_dir):
    cmd = shlex.split(qemu) + ["-kernel", kernel, "-initrd", initrd, "-append", append]
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
                           timeout=timeout, check=False)
        out = p.stdout.decode(errors="replace")
    except subprocess.TimeoutExpired as e:
        out = (e.stdout or b"").decode(errors="replace") + f"\ncollect: timed out after {timeout} s\n"
    if log_dir:
        os.makedirs(log_dir, exist_ok=True)
        with open(os.path.join(log_dir, f"sbench-c{order}.log"), "w", encoding="utf-8") as f:
            f.write(out)
    return out


def table(rows):
    orders = sorted({r["cluster_order"] for r in rows})
    by = {(r["cluster_order"], r["metric"]): r for r in rows}
    names = [m for m in dict.fromkeys(r["metric"] for r in rows)]
    print(f"{'storage (guest instructions)':44}" + "".join(f"{'c' + str(o):>14}" for o in orders))
    for m in names:
        print(f"{m:44}" + "".join(f"{by[(o, m)]['value']:>14,}" if (o, m) in by else f"{'-':>14}"
                                  for o in orders))


def self_test():
    good = "\n".join([
        "sbench: 64 MiB, 9 reads, 3 writes, 1000 files, 5 rounds",
        *[PREFIX + f', "metric": "{m}", "value": {i + 1}, "unit": "mib", "runs": 1}}'
          for i, m in enumerate(METRICS)],
        PREFIX + ', "metric": "page_cache_64mib_cached_kib", "value": 128, "unit": "kib", "runs": 1}',
        "sbench: done", "init: test run done: all exited 0"])
    errs = []
    rows, fails = parse(good, 4)
    if fails or len(rows) != len(METRICS) + 1 or rows[0]["cluster_order"] != 4:
        errs.append(f"a good log: {fails}")
    bad = {
        "a failed check": good.replace("sbench: done", "sbench: FAIL cold read: 1\nsbench: done"),
        "no end": good.replace("sbench: done", ""),
        "a missing figure": good.replace(METRICS[2], "something_else"),
        "a failed program": good.replace("all exited 0", "a program failed"),
        "a broken line": good.replace('"value": 3,', '"value": ,'),
    }
    for name, log in bad.items():
        if not parse(log, 0)[1]:
            errs.append(f"{name}: accepted")
    return errs


def main():
    ap = argparse.ArgumentParser(description=__doc__,
                                 formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--qemu", help="the QEMU command and its arguments, less kernel and initrd")
    ap.add_argument("--json", help="where the rows go (JSON lines)")
    ap.add_argument("--append", default="init.run=sbench", help="the kernel command line")
    ap.add_argument("--timeout", type=int, default=900, help="seconds per boot")
    ap.add_argument("--log-dir", help="keep each boot's serial log here")
    ap.add_argument("--quiet", action="store_true", help="no table")
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("boots", nargs="*", metavar="ORDER=KERNEL:INITRD")
    a = ap.parse_args()
    if a.self_test:
        errs = self_test()
        for e in errs:
            print(f"collect self-test: FAIL {e}")
        print(f"collect self-test: {'ok' if not errs else 'FAILED'}")
        return 1 if errs else 0
    if not a.qemu or not a.json or not a.boots:
        ap.error("--qemu, --json and at least one ORDER=KERNEL:INITRD are needed")
    rows, fails = [], []
    for b in a.boots:
        try:
            order, rest = b.split("=", 1)
            kernel, initrd = rest.split(":", 1)
            order = int(order)
        except ValueError:
            ap.error(f"not ORDER=KERNEL:INITRD: {b}")
        r, f = parse(boot(a.qemu, a.append, order, kernel, initrd, a.timeout, a.log_dir), order)
        rows += r
        fails += f
    for f in fails:
        print(f"bench-storage: FAIL {f}")
    if fails:
        return 1
    os.makedirs(os.path.dirname(os.path.abspath(a.json)), exist_ok=True)
    with tempfile.NamedTemporaryFile("w", dir=os.path.dirname(os.path.abspath(a.json)),
                                     delete=False, encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    os.replace(f.name, a.json)
    if not a.quiet:
        table(rows)
    return 0


if __name__ == "__main__":
    sys.exit(main())
