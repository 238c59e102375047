#!/usr/bin/env python3
"""Collects the VM benchmark's JSON lines (kbench=vm, one boot per CLUSTER_ORDER)
into one result file, prints the table of docs/perf/vm.md, and with --check
verifies the claims that must always hold (make bench-vm-smoke)."""
import argparse
import json
import sys

LINUX_FIRST_TOUCH = 841742  # instructions per MiB, Debian's 6.1 kernel (docs/testing.md)

ROWS = [
    ("first_touch_instructions_per_mib", "first touch, instructions per MiB"),
    ("first_touch_faults_per_mib", "first touch, faults per MiB"),
    ("first_touch_share_2mib_permille", "first touch, share mapped by 2 MiB entries (per mille)"),
    ("first_touch_promotions", "first touch, 2 MiB promotions (of 32 windows)"),
    ("first_touch_pt_pages", "page-table pages left for the 64 MiB"),
    ("first_touch_vmo_tree_bytes", "VMO tree bytes for 64 MiB"),
    ("retouch_instructions_per_mib", "touch again (all mapped), instructions per MiB"),
    ("cow_clone_instructions", "COW clone of 64 MiB, instructions"),
    ("cow_clone_write_64mib_instructions", "COW clone + write of 64 MiB, instructions"),
    ("cow_write_faults_per_mib", "COW write, faults per MiB"),
    ("cow_copies_per_mib", "COW write, clusters copied per MiB"),
    ("cow_after_write_share_2mib_permille", "after COW write, share by 2 MiB entries (per mille)"),
    ("cow_clone_destroy_instructions", "destroying the clone, instructions"),
    ("pool_usage_after_revoke", "pool usage after revoking it, bytes"),
]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("lines")
    ap.add_argument("--json")
    ap.add_argument("--check", action="store_true")
    ap.add_argument("--results", default="")
    a = ap.parse_args()
    res = {}
    with open(a.lines) as f:
        for line in f:
            o = json.loads(line)
            res.setdefault(o["cluster_order"], {})[o["metric"]] = o["value"]
    orders = sorted(res)
    if a.json:
        with open(a.json, "w") as f:
            json.dump({"arch": "x86_64", "linux_6_1_first_touch_per_mib": LINUX_FIRST_TOUCH,
                       "results": {f"c{o}": res[o] for o in orders}}, f, indent=1, sort_keys=True)
            f.write("\n")
    print("| metric | " + " | ".join(f"CLUSTER_ORDER={o}" for o in orders) + " |")
    print("|---|" + "---:|" * len(orders))
    for key, label in ROWS:
        print(f"| {label} | " + " | ".join(f"{res[o].get(key, '-'):,}" for o in orders) + " |")
    for o in orders:
        ft = res[o]["first_touch_instructions_per_mib"]
        print(f"c{o}: first touch = {ft / LINUX_FIRST_TOUCH:.3f} of Linux 6.1's {LINUX_FIRST_TOUCH:,}")
    if not a.check:
        return 0
    fails = []
    for o in orders:
        r = res[o]
        if r["first_touch_share_2mib_permille"] < 950:
            fails.append(f"c{o}: only {r['first_touch_share_2mib_permille']} per mille in 2 MiB entries")
        if r["first_touch_faults_per_mib"] > max(16, 256 >> o):
            fails.append(f"c{o}: {r['first_touch_faults_per_mib']} faults per MiB")
        if r["pool_usage_after_revoke"] != 0:
            fails.append(f"c{o}: usage {r['pool_usage_after_revoke']} after revoke")
        if o == 4 and r["first_touch_instructions_per_mib"] > 0.35 * LINUX_FIRST_TOUCH:
            fails.append(f"c{o}: first touch above 0.35 of Linux")
    if a.results:
        with open(a.results, "a") as f:
            f.write(f"bench-vm-smoke {3 * len(orders) + 1 - len(fails)} {len(fails)}\n")
    for m in fails:
        print("bench-vm-smoke: FAIL " + m)
    print(f"bench-vm-smoke: {'ok' if not fails else 'FAILED'}")
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
