#!/usr/bin/env python3
"""run.py: checks lx (user/lx) against Linux, program by program.

    tests/linux/run.py --weft "QEMU COMMAND" --linux "QEMU COMMAND"
                       [--name NAME] [--results FILE] [--log-dir DIR]
                       [--status N | --no-status] [--timeout SECONDS]
                       [--weft-end LINE=END ...] [--expect REGEX ...]
                       [--type TRIGGER=TEXT ...]

Boots Weft (init runs lx, lx runs each line of lx.rc) and the Linux guest
(lxinit runs the same lines) one after the other, each QEMU command with its
serial console on stdout and stdin (--type sends a line when a trigger has been
printed, the same on both), and splits both logs into runs: "=== run: LINE",
the program's output, then "=== exit N" or "=== signal N". Lines lx prints
about a program ("lx: ...") and carriage returns are set aside on Weft's side.
Each line of lx.rc is one test point, passed when both systems printed the
same output and ended it the same way; a line starting "weft-only " runs
under lx alone and passes when it exits 0 (or as --weft-end says) without
printing FAIL. Each
--expect regex is one more point, passed when a line of Weft's log matches. With --status N, init's report that lx
exited with status N (the last program's) is one more point. Prints TAP-like
lines and a diff for each mismatch, appends "NAME PASSED FAILED" to --results,
and exits 1 if any point failed (0 otherwise). Standard library only.
"""

import argparse
import difflib
import os
import re
import select
import shlex
import subprocess
import sys
import time

RUN = re.compile(r"^=== run: (.*)$")
END = re.compile(r"^=== (exit|signal) (-?\d+)$")
WEFT_ONLY = "weft-only "


def boot(command, timeout, log_path, typed):
    """Runs a QEMU command; returns its serial output as text lines. Each
    (trigger, text) of typed is sent to the serial line once the output has
    shown trigger (and a short pause has passed for the reader to wait)."""
    p = subprocess.Popen(shlex.split(command), stdin=subprocess.PIPE,
                         stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
    out = bytearray()
    pending = [(t.encode(), x.encode()) for t, x in typed]
    deadline = time.monotonic() + timeout
    fd = p.stdout.fileno()
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            p.kill()
            out += b"\n[run.py: timed out]\n"
            break
        ready, _, _ = select.select([fd], [], [], min(left, 0.5))
        if ready:
            chunk = os.read(fd, 65536)
            if not chunk:
                break
            out += chunk
        if pending and pending[0][0] in out:
            time.sleep(0.5)
            try:
                p.stdin.write(pending.pop(0)[1])
                p.stdin.flush()
            except BrokenPipeError:
                pending = []
    p.wait()
    if log_path:
        with open(log_path, "wb") as f:
            f.write(out)
    text = out.decode("utf-8", "replace").replace("\r", "")
    return text.split("\n")


def runs(lines, weft):
    """[(line, [output lines], end)] in order; end is None when cut short."""
    found, cur = [], None
    for raw in lines:
        m = RUN.match(raw)
        if m:
            if cur:
                found.append(cur)
            cur = (m.group(1), [], None)
            continue
        if cur is None:
            continue
        m = END.match(raw)
        if m:
            found.append((cur[0], cur[1], f"{m.group(1)} {m.group(2)}"))
            cur = None
            continue
        if weft and raw.startswith("lx: "):
            continue
        cur[1].append(raw)
    if cur:
        found.append(cur)
    return found


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--weft", required=True, help="QEMU command that boots Weft with lx")
    ap.add_argument("--linux", required=True, help="QEMU command that boots the Linux guest")
    ap.add_argument("--name", default="lx", help="name in the output and in --results")
    ap.add_argument("--results", help="file to append 'NAME PASSED FAILED' to")
    ap.add_argument("--log-dir", help="where to keep both serial logs")
    ap.add_argument("--status", type=int, help="lx's exit status init must report")
    ap.add_argument("--no-status", action="store_true", help="do not check lx's exit status")
    ap.add_argument("--timeout", type=int, default=240, help="seconds per boot (default 240)")
    ap.add_argument("--type", action="append", default=[], metavar="TRIGGER=TEXT",
                    help="type TEXT (\\n for Enter) on the serial line once TRIGGER "
                         "was printed, on both systems")
    ap.add_argument("--weft-end", action="append", default=[], metavar="LINE=END",
                    help="how a weft-only line must end (default: exit 0), e.g. "
                         "'weft-only /bin/oom=signal 11'")
    ap.add_argument("--expect", action="append", default=[],
                    help="a regex a line of Weft's log must match (one point each)")
    args = ap.parse_args()

    logs = {}
    for side in ("weft", "linux"):
        path = os.path.join(args.log_dir, f"lx-{side}.log") if args.log_dir else None
        typed = [(t.split("=", 1)[0], t.split("=", 1)[1].replace("\\n", "\r"))
                 for t in args.type]
        logs[side] = boot(getattr(args, side), args.timeout, path, typed)
    w, l = runs(logs["weft"], True), runs(logs["linux"], False)
    passed = failed = 0
    recap = []  # each failure's lines again at the end, where a log's tail shows them

    def say(text, bad):
        print(text)
        if bad:
            recap.append(text)
    # Lines for lx alone: they must end with status 0 and print no FAIL.
    only = [r for r in w if r[0].startswith(WEFT_ONLY)]
    w = [r for r in w if not r[0].startswith(WEFT_ONLY)]
    ends = dict(e.rsplit("=", 1) for e in args.weft_end)
    for line, out, end in only:
        ok = end == ends.get(line, "exit 0") and not any("FAIL" in x for x in out)
        say(f"[{args.name}] {'ok' if ok else 'not ok'} - {line} ({end})", not ok)
        for x in out if not ok else []:
            say(f"    {x}", True)
        passed, failed = passed + ok, failed + (not ok)
    if not l:
        say(f"[{args.name}] not ok - the Linux guest ran nothing (log: lx-linux.log)", True)
        failed += 1
    for i, (line, out, end) in enumerate(l, 1):
        other = next((r for r in w if r[0] == line), None)
        if other is None:
            ok, why = False, "lx did not run it"
        elif other[2] is None:
            ok, why = False, "lx's run was cut short"
        elif other[1] != out or other[2] != end:
            ok, why = False, "output or status differs"
        else:
            ok, why = True, end
        say(f"[{args.name}] {'ok' if ok else 'not ok'} {i} - {line} ({why})", not ok)
        if ok:
            passed += 1
            continue
        failed += 1
        if other is not None:
            diff = difflib.unified_diff(out + [f"=== {end}"],
                                        other[1] + [f"=== {other[2]}"],
                                        "linux", "weft (lx)", lineterm="")
            for d in diff:
                say(f"    {d}", True)
    if len(w) != len(l):
        say(f"[{args.name}] not ok - lx ran {len(w)} lines, Linux {len(l)}", True)
        failed += 1
    for rx in args.expect:
        pat = re.compile(rx)
        ok = any(pat.search(x) for x in logs["weft"])
        say(f"[{args.name}] {'ok' if ok else 'not ok'} - Weft's log has /{rx}/", not ok)
        passed, failed = passed + ok, failed + (not ok)
    if args.status is not None and not args.no_status:
        pat = re.compile(rf"lx exited with status {args.status}\b")
        ok = any(pat.search(x) for x in logs["weft"])
        say(f"[{args.name}] {'ok' if ok else 'not ok'} - init reports lx's exit "
            f"status {args.status}", not ok)
        passed, failed = passed + ok, failed + (not ok)
    if recap:
        print(f"[{args.name}] the failures again:")
        for text in recap:
            print(text)
    print(f"[{args.name}] {passed} passed, {failed} failed")
    if args.results:
        with open(args.results, "a", encoding="utf-8") as f:
            f.write(f"{args.name} {passed} {failed}\n")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
