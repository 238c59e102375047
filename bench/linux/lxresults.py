#!/usr/bin/env python3
"""The figures of make bench-lx, from its serial log, as JSON lines.

make bench-lx runs the Linux guest benchmark's programs (bench/linux/) under lx
on Weft with -icount shift=0; each prints its figures as JSON lines in the
format of the Linux guest's run (lbench.h, "system": "linux" whatever runs
them). This takes those lines from LOG, checks that every figure of the set is
there exactly once, and writes them, sorted, to stdout (or --json FILE):
bench/results/lx-ARCH.json, whose figures tools/check-figures knows as
lx.CASE.SPACE (getppid, pipe) and lx.METRIC (fork). Exit status 1, with the
reason on stderr, when a figure is missing, repeated or garbled.

  lxresults.py LOG [--json FILE]
"""
import argparse
import json
import sys

EXPECTED = [("ipc", "getppid"), ("ipc", "pipe_round_trip"),
            ("vm", "first_touch_instructions_per_mib"),
            ("vm", "first_touch_4k_instructions_per_mib"),
            ("vm", "fork_exit_wait_64mib_instructions"),
            ("vm", "fork_exit_wait_64mib_4k_instructions"),
            ("vm", "fork_exit_wait_0mib_instructions"),
            ("vm", "fork_write_exit_wait_64mib_instructions"),
            ("vm", "fork_write_exit_wait_64mib_4k_instructions"),
            ("vm", "idle_process_bytes"),
            ("vm", "vfork_exec_true_wait_instructions")]


def collect(lines):
    rows, seen, errors = [], set(), []
    for line in lines:
        line = line.strip()
        if not line.startswith('{"bench"'):
            continue
        try:
            row = json.loads(line)
            key = (row["bench"], row["case"] if row["bench"] == "ipc" else row["metric"])
        except (ValueError, KeyError) as e:
            errors.append(f"garbled figure line: {line[:80]} ({e})")
            continue
        if key in seen:
            errors.append(f"figure {key[1]} twice")
        seen.add(key)
        rows.append(row)
    errors += [f"figure {k[1]} missing" for k in EXPECTED if k not in seen]
    return rows, errors


def main():
    ap = argparse.ArgumentParser(description="make bench-lx's figures from its serial log")
    ap.add_argument("log", help="the serial log of make bench-lx")
    ap.add_argument("--json", help="write the JSON lines here instead of stdout")
    a = ap.parse_args()
    with open(a.log, encoding="utf-8", errors="replace") as f:
        rows, errors = collect(f)
    if errors:
        for e in errors:
            print(f"lxresults: {e}", file=sys.stderr)
        return 1
    out = "".join(json.dumps(r, sort_keys=True) + "\n" for r in
                  sorted(rows, key=lambda r: (r["bench"], r.get("case", r.get("metric")))))
    if a.json:
        with open(a.json, "w", encoding="utf-8") as f:
            f.write(out)
    else:
        sys.stdout.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
