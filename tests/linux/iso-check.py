#!/usr/bin/env python3
"""Checks the console log of make check-lx-iso (tests/linux/iso.c).

usage: iso-check.py LOG

Two instances of iso, each with a tag of its own, must each have reported
no process and no file of the other, its /tmp charged to its own pool, and
exit status 0 (init: all exited 0), and no lx may say its /tmp could not
be made or let go (lx: /tmp: ...); and their lines must be ordered so that
each probe ran while the other held its children and files: both "holds"
before either "probing", both "saw" before either "released".
Exit status 0 when all holds, 1 otherwise (with the reason).
"""
import re
import sys


def check(text):
    lines = [l.rstrip("\r") for l in text.splitlines()]
    where = {}
    for i, line in enumerate(lines):
        m = re.match(r"^iso: ([0-9a-f]+): (holds|probing|saw|released)\b", line)
        if m:
            where.setdefault(m.group(1), {})[m.group(2)] = i
    tags = sorted(where)
    if len(tags) != 2:
        return "expected two instances with distinct tags, found %d" % len(tags)
    for t in tags:
        for step in ("holds", "probing", "saw", "released"):
            if step not in where[t]:
                return "instance %s never printed %r" % (t, step)
        if not any(re.match(r"^iso: %s: saw 0 of the other lx's processes and 0 of its files$" % t, l)
                   for l in lines):
            return "instance %s saw the other's processes or files" % t
    if max(where[t]["holds"] for t in tags) > min(where[t]["probing"] for t in tags):
        return "one instance probed before the other held its children (not side by side)"
    if max(where[t]["saw"] for t in tags) > min(where[t]["released"] for t in tags):
        return "one instance let its children go before the other had probed"
    for l in lines:
        if l.startswith("lx: /tmp: "):  # lx could not make, or the server kept, its own /tmp
            return "lx said: " + l
    if not any("init: test run done: all exited 0" in l for l in lines):
        return "not every instance exited 0"
    return None


def main():
    if len(sys.argv) != 2 or sys.argv[1] in ("-h", "--help"):
        print(__doc__.strip().splitlines()[2], file=sys.stderr)
        return 2
    with open(sys.argv[1], errors="replace") as f:
        why = check(f.read())
    if why:
        print("iso-check: " + why)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
