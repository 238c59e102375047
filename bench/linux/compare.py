#!/usr/bin/env python3
"""Prints Weft's and Linux's figures side by side from one `make bench` run: the
rows of bench/results/ipc-ARCH.json and vm-ARCH.json (Weft, CLUSTER_ORDER=0 and
4) next to bench/results/linux-ARCH.json (the Linux guest, make bench-linux, one
column per QEMU CPU model). All figures are guest instructions under
-icount shift=0,sleep=off (docs/testing.md). A missing file gives "-" in its columns.

Usage: compare.py IPC_JSON VM_JSON LINUX_JSON
"""

import json
import sys

# (label, Weft figure, Linux figure). Weft: ("ipc", case, space, path) or
# ("vm", metric); Linux: ("ipc", case) or ("vm", metric).
ROWS = [
    ("null system call (Weft Yield; Linux getppid)",
     ("ipc", "null_syscall_yield", "same", "-"), ("ipc", "getppid")),
    ("round trip between address spaces (Call+ReplyRecv fast; pipe)",
     ("ipc", "call_reply_recv_round_trip", "cross", "fast"), ("ipc", "pipe_round_trip")),
    ("wake a higher-priority waiter, it waits again (Signal; futex)",
     ("ipc", "signal_wait_round", "same", "-"), ("ipc", "futex_wake_wait_round")),
    ("  the same, Linux eventfd write/read",
     None, ("ipc", "eventfd_write_read_round")),
    ("first touch of 64 MiB, instructions per MiB (Linux THP on)",
     ("vm", "first_touch_instructions_per_mib"), ("vm", "first_touch_instructions_per_mib")),
    ("  the same, Linux 4 KiB pages (MADV_NOHUGEPAGE)",
     None, ("vm", "first_touch_4k_instructions_per_mib")),
    ("first touch, page faults per MiB (Linux 4 KiB pages)",
     ("vm", "first_touch_faults_per_mib"), ("vm", "first_touch_4k_faults_per_mib")),
]


def load_lines(path):
    try:
        with open(path, encoding="utf-8") as f:
            return [json.loads(l) for l in f if l.strip()]
    except OSError:
        return []


def load_vm(path):
    try:
        with open(path, encoding="utf-8") as f:
            return json.load(f).get("results", {})
    except OSError:
        return {}


def fmt(v):
    return "-" if v is None else f"{v:,}"


def main():
    if len(sys.argv) != 4:
        sys.exit(__doc__)
    ipc, vm, linux = load_lines(sys.argv[1]), load_vm(sys.argv[2]), load_lines(sys.argv[3])
    orders = sorted({r["cluster_order"] for r in ipc} | {int(k[1:]) for k in vm})
    cpus = list(dict.fromkeys(r["cpu"] for r in linux if "cpu" in r))

    def weft(o, k):
        if k is None:
            return None
        if k[0] == "vm":
            return vm.get(f"c{o}", {}).get(k[1])
        for r in ipc:
            if (r["cluster_order"], r["case"], r["space"], r["path"]) == (o,) + k[1:]:
                return r["instructions_per_op"]
        return None

    def lin(c, k):
        for r in linux:
            if r.get("cpu") != c:
                continue
            if k[0] == "ipc" and r["bench"] == "ipc" and r["case"] == k[1]:
                return r["instructions_per_op"]
            if k[0] == "vm" and r["bench"] == "vm" and r["metric"] == k[1]:
                return r["value"]
        return None

    heads = [f"Weft c{o}" for o in orders] + [f"Linux -cpu {c}" for c in cpus]
    print("Weft and Linux side by side (guest instructions, -icount shift=0,sleep=off):")
    print(f"  {'':<64}" + "".join(f"{h:>22}" for h in heads))
    for label, wk, lk in ROWS:
        vals = [weft(o, wk) for o in orders] + [lin(c, lk) for c in cpus]
        print(f"  {label:<64}" + "".join(f"{fmt(v):>22}" for v in vals))
    if not linux:
        print("  (no Linux figures: run make bench-linux)")
    if not ipc or not vm:
        print("  (Weft figures missing: run make bench-ipc bench-vm)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
