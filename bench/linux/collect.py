#!/usr/bin/env python3
"""Boots the Linux guest benchmark (bench/linux/*.c in an initramfs, Debian's cloud
kernel) and collects its figures: make bench-linux, docs/perf/linux.md.

Usage:
  collect.py [--suite linux|storage] --qemu "qemu-system-x86_64 -machine pc -cpu max ..." \
      --kernel VMLINUZ --initrd CPIO --append "console=ttyS0 ..." \
      [--cpu max --cpu max,erms=off] --json OUT [--log-dir DIR]
  collect.py [--suite S] --parse LOG [--cpu CPU]    judge one serial log, print its rows (tests)

--suite names the figures a boot must produce: "linux" (the default, make
bench-linux: EXPECTED) or "storage" (make bench-linux-storage, the ext2 image on
virtio-blk, bench/linux/storage.c: EXPECTED_STORAGE, rows with "bench": "storage").

One boot per --cpu value: the `-cpu` argument of --qemu is replaced by it, so
every boot has the same QEMU flags as Weft's benchmark boots but for the CPU
model. The guest's JSON lines (one per figure; "bench" "ipc", "vm", "storage" or "info",
"system": "linux", see bench/linux/lbench.h) are kept, each with "cpu" added;
all boots' rows go to OUT, one JSON object per line with sorted keys, as
bench/results/ipc-x86_64.json. A boot fails, and so does the run, if a line
starts with "linux-bench: FAIL", if "linux-bench: done N run, 0 failed" is
missing, if a figure of EXPECTED is missing, or if QEMU's exit status is not 1
(init's write of 0 to isa-debug-exit). Python standard library only.
"""

import argparse
import json
import os
import re
import shlex
import subprocess
import sys

# Every figure one boot must produce: ("ipc", case) or ("vm", metric).
EXPECTED = [("ipc", c) for c in ("getppid", "pipe_round_trip", "futex_wake_wait_round",
                                 "eventfd_write_read_round")] + \
    [("vm", m) for m in (
        "first_touch_instructions_per_mib", "first_touch_faults_per_mib",
        "first_touch_faults_64mib", "first_touch_share_2mib_permille",
        "first_touch_4k_instructions_per_mib", "first_touch_4k_faults_per_mib",
        "first_touch_4k_faults_64mib", "first_touch_4k_share_2mib_permille",
        "fork_exit_wait_64mib_instructions", "fork_exit_wait_64mib_4k_instructions",
        "fork_exit_wait_0mib_instructions")]

# docs/testing.md's reference figures (Debian's 6.1 kernel, taken by the project earlier;
# quoted there, re-measured here): the same figure's key in this guest's rows.
REFERENCE = {
    ("ipc", "getppid"): 359,
    ("ipc", "pipe_round_trip"): 11245,
    ("vm", "first_touch_4k_instructions_per_mib"): 841742,
    ("vm", "fork_exit_wait_64mib_4k_instructions"): 6729254,
}

LABELS = {
    ("ipc", "getppid"): "getppid (null system call)",
    ("ipc", "pipe_round_trip"): "pipe round trip, two processes, one CPU",
    ("ipc", "futex_wake_wait_round"): "FUTEX_WAKE to a higher-priority waiter, its FUTEX_WAIT back",
    ("ipc", "eventfd_write_read_round"): "eventfd write to a higher-priority reader, its read back",
    ("vm", "first_touch_instructions_per_mib"): "first touch of 64 MiB, THP on, instructions per MiB",
    ("vm", "first_touch_faults_64mib"): "first touch of 64 MiB, THP on, page faults",
    ("vm", "first_touch_4k_instructions_per_mib"): "first touch of 64 MiB, 4 KiB pages, instructions per MiB",
    ("vm", "first_touch_4k_faults_per_mib"): "first touch of 64 MiB, 4 KiB pages, faults per MiB",
    ("vm", "fork_exit_wait_64mib_instructions"): "fork+exit+wait, 64 MiB touched, THP on",
    ("vm", "fork_exit_wait_64mib_4k_instructions"): "fork+exit+wait, 64 MiB touched, 4 KiB pages",
    ("vm", "fork_exit_wait_0mib_instructions"): "fork+exit+wait, no extra memory",
}

# Every figure the storage boot must produce: ("storage", metric).
EXPECTED_STORAGE = [("storage", m) for m in (
    "tsc_per_ns_x1000000",
    "seq_read_cold_instructions_per_mib", "seq_read_warm_instructions_per_mib",
    "page_cache_64mib_cached_kib", "seq_write_fsync_instructions_per_mib",
    "create_write_close_instructions_per_file", "create_sync_instructions_per_file",
    "stat_instructions_per_file",
    "unlink_instructions_per_file")]

STORAGE_LABELS = {
    ("storage", "seq_read_cold_instructions_per_mib"): "read 64 MiB from the disk (cold), per MiB",
    ("storage", "seq_read_warm_instructions_per_mib"): "read 64 MiB from the page cache (warm), per MiB",
    ("storage", "seq_write_fsync_instructions_per_mib"): "write 64 MiB + fsync, per MiB",
    ("storage", "create_write_close_instructions_per_file"): "create + write 4 KiB + close, per file",
    ("storage", "create_sync_instructions_per_file"): "the sync after the creates, per file",
    ("storage", "stat_instructions_per_file"): "stat, per file",
    ("storage", "unlink_instructions_per_file"): "unlink, per file",
    ("storage", "page_cache_64mib_cached_kib"): "page cache holding the 64 MiB file, KiB",
}

SUITES = {"linux": (EXPECTED, LABELS), "storage": (EXPECTED_STORAGE, STORAGE_LABELS)}

DONE = re.compile(r"^linux-bench: done (\d+) run, (\d+) failed$")


def key(row):
    """The figure a row carries: ("ipc", case), ("vm" or "storage", metric) or ("info", "")."""
    b = row.get("bench")
    return (b, row.get("case") if b == "ipc" else row.get("metric", ""))


def value(row):
    return row["instructions_per_op"] if row["bench"] == "ipc" else row["value"]


def parse_log(text, cpu, suite="linux"):
    """Returns (rows, problems) for one boot's serial log: the guest's JSON rows,
    each with "cpu" added, and a list of what is wrong (empty if the boot passed).
    suite ("linux" or "storage") names the figures the boot must produce."""
    rows, problems, done = [], [], None
    for line in text.splitlines():
        line = line.strip()
        if line.startswith("linux-bench: FAIL"):
            problems.append(line)
        m = DONE.match(line)
        if m:
            done = (int(m.group(1)), int(m.group(2)))
        if not line.startswith("{"):
            continue
        try:
            row = json.loads(line)
        except ValueError:
            continue
        if isinstance(row, dict) and row.get("system") == "linux":
            row["cpu"] = cpu
            rows.append(row)
    if done is None:
        problems.append("no 'linux-bench: done' line (the guest did not finish)")
    elif done[1] != 0:
        problems.append(f"{done[1]} of {done[0]} benchmark programs failed")
    have = {key(r) for r in rows}
    problems += [f"missing figure {b}/{n}" for b, n in SUITES[suite][0] if (b, n) not in have]
    if ("info", "") not in have:
        problems.append("missing the info line")
    return rows, problems


def with_cpu(qemu, cpu):
    """The QEMU command line (a list) with its -cpu value replaced by cpu."""
    args = shlex.split(qemu)
    if "-cpu" not in args:
        return args + ["-cpu", cpu]
    i = args.index("-cpu")
    return args[:i + 1] + [cpu] + args[i + 2:]


def boot(a, cpu):
    cmd = with_cpu(a.qemu, cpu) + ["-kernel", a.kernel, "-initrd", a.initrd, "-append", a.append]
    try:
        p = subprocess.run(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, timeout=a.timeout, check=False)
        out, rc = p.stdout.decode("utf-8", "replace"), p.returncode
    except subprocess.TimeoutExpired as e:
        out, rc = (e.stdout or b"").decode("utf-8", "replace"), None
    if a.log_dir:
        name = "bench-linux-" + ("storage-" if a.suite == "storage" else "") + re.sub(r"[^A-Za-z0-9]+", "-", cpu) + ".log"
        with open(os.path.join(a.log_dir, name), "w", encoding="utf-8") as f:
            f.write(out)
    rows, problems = parse_log(out, cpu, a.suite)
    if rc is None:
        problems.append(f"timed out after {a.timeout} s")
    elif rc != 1:
        problems.append(f"QEMU exited with status {rc}, not 1 (isa-debug-exit, value 0)")
    if problems:
        tail = "\n".join(out.splitlines()[-40:])
        sys.exit(f"bench-linux{'-storage' if a.suite == 'storage' else ''}: -cpu {cpu}: " + "; ".join(problems) + "\n--- serial log, end:\n" + tail)
    return rows


def table(rows, labels=LABELS):
    """Prints the figures, one column per CPU model, with docs/testing.md's reference
    where it has one."""
    cpus = list(dict.fromkeys(r["cpu"] for r in rows))
    fig = {(r["cpu"],) + key(r): value(r) for r in rows if r["bench"] != "info"}
    for r in rows:
        if r["bench"] == "info":
            print(f"  -cpu {r['cpu']}: Linux {r['release']} {r['version']}; cpu flags: "
                  f"{r['cpu_flags']}; THP {r['thp']}")
    ref = any(k in REFERENCE for k in labels)
    print(f"  {'figure (guest instructions)':<62}" + "".join(f"{'-cpu ' + c:>20}" for c in cpus)
          + (f"{'reference':>12}" if ref else ""))
    def fmt(v, width):
        return f"{'-' if v is None else f'{v:,}':>{width}}"

    for k, label in labels.items():
        print(f"  {label:<62}" + "".join(fmt(fig.get((c,) + k), 20) for c in cpus)
              + (fmt(REFERENCE.get(k), 12).replace("-", " ") if ref else ""))


def main():
    ap = argparse.ArgumentParser(description="boot the Linux guest benchmark, collect its figures")
    ap.add_argument("--suite", choices=sorted(SUITES), default="linux")
    ap.add_argument("--qemu")
    ap.add_argument("--kernel")
    ap.add_argument("--initrd")
    ap.add_argument("--append", default="")
    ap.add_argument("--cpu", action="append")
    ap.add_argument("--json")
    ap.add_argument("--log-dir")
    ap.add_argument("--timeout", type=int, default=600)
    ap.add_argument("--parse", metavar="LOG")
    a = ap.parse_args()
    cpus = a.cpu or ["max"]
    if a.parse:
        with open(a.parse, encoding="utf-8", errors="replace") as f:
            rows, problems = parse_log(f.read(), cpus[0], a.suite)
        for r in rows:
            print(json.dumps(r, sort_keys=True))
        for p in problems:
            print("bench-linux: " + p, file=sys.stderr)
        return 1 if problems else 0
    if not (a.qemu and a.kernel and a.initrd and a.json):
        ap.error("--qemu, --kernel, --initrd and --json are needed (or --parse LOG)")
    rows = []
    for cpu in cpus:
        rows += boot(a, cpu)
    with open(a.json, "w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, sort_keys=True) + "\n")
    table(rows, SUITES[a.suite][1])
    return 0


if __name__ == "__main__":
    sys.exit(main())
