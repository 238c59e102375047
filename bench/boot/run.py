#!/usr/bin/env python3
"""Boot to the shell prompt: guest instructions from power-on (bench/boot/run.py).

    run.py --qemu "QEMU COMMAND WITH -icount shift=0,sleep=off" --json OUT \
           ORDER=KERNEL:INITRD [ORDER=KERNEL:INITRD ...]

For each cluster order, boots KERNEL with INITRD as `make run` does (init, the
servers of boot.conf, the shell) under the given QEMU command, whose serial
console must be on stdio. Waits for the shell's first prompt ("weft> "), types
`uptime` and reads "first prompt at TSC N": under -icount shift=0 the TSC counts
one per guest instruction from power-on (firmware, kernel, init, servers and
shell together), and nothing before the first prompt waits for input, so N is
deterministic. Then types `poweroff`.

Writes {"arch": ..., "results": {"cO": {"first_prompt_instructions": N}}} to OUT
(the format tools/check-figures reads as boot.cO.METRIC). Python standard
library only. Exit status 1 when a boot does not reach the prompt within the
timeout (60 s each).
"""
import argparse
import json
import os
import re
import select
import shlex
import subprocess
import sys
import time

PROMPT = b"weft> "
TIMEOUT_S = 60.0


def read_until(proc, buf, pattern, deadline):
    """Reads proc's stdout into buf until pattern (bytes regex) matches; the match or None."""
    rx = re.compile(pattern)
    while True:
        m = rx.search(buf)
        if m:
            return m
        left = deadline - time.monotonic()
        if left <= 0:
            return None
        r, _, _ = select.select([proc.stdout], [], [], left)
        if not r:
            return None
        chunk = os.read(proc.stdout.fileno(), 4096)
        if not chunk:
            return None
        buf.extend(chunk)


def boot(qemu, kernel, initrd):
    cmd = shlex.split(qemu) + ["-kernel", kernel, "-initrd", initrd]
    proc = subprocess.Popen(cmd, stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                            stderr=subprocess.DEVNULL)
    buf = bytearray()
    deadline = time.monotonic() + TIMEOUT_S
    try:
        if not read_until(proc, buf, re.escape(PROMPT), deadline):
            raise RuntimeError("no prompt; console:\n" + buf.decode(errors="replace")[-2000:])
        proc.stdin.write(b"uptime\r")
        proc.stdin.flush()
        m = read_until(proc, buf, rb"first prompt at TSC (\d+)\r?\n", deadline)
        if not m:
            raise RuntimeError("no answer to uptime; console:\n" +
                               buf.decode(errors="replace")[-2000:])
        proc.stdin.write(b"poweroff\r")
        proc.stdin.flush()
        return int(m.group(1))
    finally:
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--qemu", required=True, help="QEMU command (with -icount, serial on stdio)")
    ap.add_argument("--json", required=True, help="results file to write")
    ap.add_argument("--arch", default="x86_64")
    ap.add_argument("boots", nargs="+", metavar="ORDER=KERNEL:INITRD")
    a = ap.parse_args()
    results = {}
    for spec in a.boots:
        order, _, files = spec.partition("=")
        kernel, _, initrd = files.partition(":")
        if not order or not kernel or not initrd:
            ap.error(f"bad boot '{spec}': ORDER=KERNEL:INITRD")
        try:
            n = boot(a.qemu, kernel, initrd)
        except RuntimeError as e:
            print(f"boot c{order}: {e}", file=sys.stderr)
            return 1
        results[f"c{order}"] = {"first_prompt_instructions": n}
        print(f"# boot c{order}: first prompt after {n:,} guest instructions")
    with open(a.json, "w", encoding="utf-8") as f:
        json.dump({"arch": a.arch, "results": results}, f, indent=1, sort_keys=True)
        f.write("\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
