#!/usr/bin/env python3
"""crashtest: crash Weft while it writes an ext2 disk, then check the disk.

    tools/crashtest.py [options] -- QEMU [ARGS...]
    tools/crashtest.py --self-test

QEMU boots a Weft whose boot configuration starts the virtio-blk driver
(vblk), the file server and the workload user/crashwl (which sees fs and
vblk, and mounts the disk's ext2 file system on /disk itself). This script
appends the disk to the command line (-drive file=IMAGE,if=none,format=raw,id=crashdisk
-device virtio-blk-pci,drive=crashdisk,disable-legacy=on: vblk drives modern-only
functions), reads the serial console (QEMU's
stdout) and, once the workload has printed "crashwl: synced N" for a
round N at or past a target drawn at random between --min-rounds and
--max-rounds, kills QEMU with SIGKILL: the machine stops mid-write, dirty
cache blocks and the orphan of the file held open included.

Then, on copies of the image:
  e2fsck -fn   reported, not judged (orphans left make it exit 4): its
               problem lines are printed as comments, the record of what a
               crash leaves;
  e2fsck -fp   repairs without questions (exit 0 or 1); when it stops
               ("UNEXPECTED INCONSISTENCY": an inode whose entry went before
               its link count, which preening leaves to a person), e2fsck -fy
               on a fresh copy must repair only problems of the ALLOWED list
               (what ext2 without a journal leaves), exit 0 or 1 and leave
               nothing "UNCORRECTED"; what either reports is printed;
  e2fsck -fn   must then find nothing (exit 0);
  contents     for each of the 15 rounds up to N, the file crashwl renamed
               into place (/cw/f.(r % 16)) and synced must hold that round's
               bytes (read with debugfs).

--runs repeats it with fresh images. One line per check ("ok"/"not ok"),
then "N passed, N failed". Exit status 0 iff nothing failed.

--self-test checks the checker without QEMU: images made with mke2fs -d
holding the files of rounds as the workload writes them, one with a wrong
byte, one missing a file, one with an inode whose entry was removed (allowed:
e2fsck -y connects it to lost+found), one with a zeroed directory block (not
allowed), must pass and fail as they should.

Only the Python standard library and e2fsprogs (mke2fs, e2fsck, debugfs)
are used.
"""

import argparse
import os
import random
import re
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import time

SYNCED_RE = re.compile(rb"crashwl: synced (\d+)")
PANIC_RE = re.compile(rb"^(PANIC|EXCEPTION)", re.M)
SLOTS = 16


def round_bytes(r):
    """The bytes crashwl writes in round r (user/crashwl/main.c)."""
    size = 1000 + (r * 7919) % 20000
    return bytes((r * 131 + i * 7 + i // 251) & 0xFF for i in range(size))


def run(cmd, **kw):
    return subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, **kw)


def make_image(path, size, folder=None):
    cmd = ["mke2fs", "-q", "-F", "-t", "ext2", "-b", "1024"]
    if folder:
        cmd += ["-d", folder]
    r = run(cmd + [path, size])
    if r.returncode:
        raise RuntimeError("mke2fs: " + r.stdout.decode(errors="replace"))


def dump(image, path, out):
    """The bytes of path in image (None when it is missing)."""
    if os.path.exists(out):
        os.unlink(out)
    run(["debugfs", "-R", f"dump {path} {out}", image])
    if not os.path.exists(out):
        return None
    with open(out, "rb") as f:
        return f.read()


class Results:
    def __init__(self):
        self.passed = self.failed = 0

    def check(self, ok, what):
        n = self.passed + self.failed + 1
        print(f"{'ok' if ok else 'not ok'} {n} - {what}", flush=True)
        if ok:
            self.passed += 1
        else:
            self.failed += 1
        return ok


def check_disk(image, synced, work, res, label):
    """e2fsck and the contents of the rounds up to synced, on copies of image."""
    first = os.path.join(work, "fn.img")
    shutil.copyfile(image, first)
    r = run(["e2fsck", "-fn", first])
    print(f"# {label}: e2fsck -fn as found: exit {r.returncode}", flush=True)
    for line in found_problems(r.stdout.decode(errors="replace")):
        print(f"#   {line}", flush=True)
    fixed = os.path.join(work, "fp.img")
    shutil.copyfile(image, fixed)
    r = run(["e2fsck", "-fp", fixed])
    out = strip_name(r.stdout.decode(errors="replace"), fixed)
    how = "e2fsck -fp"
    if r.returncode not in (0, 1) or re.search(r"UNEXPECTED INCONSISTENCY|UNCORRECTED", out):
        # Preening stopped: the crash left something it will not repair alone. Repair
        # with -y on a fresh copy; that passes only when every problem is one that
        # ext2 without a journal is known to leave (ALLOWED) and nothing is left
        # uncorrected.
        print(f"# {label}: e2fsck -fp stopped (exit {r.returncode}):", flush=True)
        for line in out.splitlines():
            if line.strip():
                print(f"#   e2fsck -fp: {line.strip()}", flush=True)
        shutil.copyfile(image, fixed)
        r = run(["e2fsck", "-fy", fixed])
        out = strip_name(r.stdout.decode(errors="replace"), fixed)
        how = "e2fsck -fy"
        other = [line for line in found_problems(out) if not ALLOWED.search(line)]
        if not res.check(r.returncode in (0, 1) and "UNCORRECTED" not in out and not other,
                         f"{label}: e2fsck -fy repairs only what ext2 without a journal "
                         f"allows (exit {r.returncode})" +
                         ("" if not other else ": not allowed: " + "; ".join(other))):
            print("# " + out.replace("\n", "\n# "))
            return
    else:
        res.check(True, f"{label}: e2fsck -fp repairs (exit {r.returncode})")
    for line in out.splitlines():
        line = line.strip()
        if line and not re.match(r"\d+/\d+ files ", line) and not re.match(r"(Pass \d|e2fsck \d)", line):
            print(f"#   {how}: {line}", flush=True)
    r = run(["e2fsck", "-fn", fixed])
    res.check(r.returncode == 0, f"{label}: e2fsck -fn clean after the repair (exit {r.returncode})")
    bad = []
    for rnd in range(max(1, synced - SLOTS + 2), synced + 1):
        got = dump(fixed, f"/cw/f.{rnd % SLOTS}", os.path.join(work, "dump"))
        if got != round_bytes(rnd):
            bad.append(f"f.{rnd % SLOTS} (round {rnd}): "
                       + ("missing" if got is None else f"{len(got)} bytes, differs"))
    res.check(not bad, f"{label}: synced rounds up to {synced} intact" +
              ("" if not bad else ": " + "; ".join(bad)))


# What a crash of ext2 without a journal leaves, written in the library's order
# (decision 131), and e2fsck repairs: orphans, an inode not yet marked free or an
# entry not yet removed, an inode whose entry went before its link count (sent to
# lost+found), link counts, bitmaps and free counts.
ALLOWED = re.compile(
    r"Clearing orphaned inode|Deleted inode \d+ has zero dtime|is in use, but has dtime set|"
    r"Unattached (zero-length )?inode \d+|Connect to /lost\+found|Inode \d+ ref count is|"
    r"has deleted/unused inode|Block bitmap differences|Inode bitmap differences|"
    r"Free (blocks|inodes) count wrong|Directories count wrong|Padding at end of|"
    r"^(Fix|Clear|Connect to /lost\+found|Salvage)\? yes$|^Inode \d+ \(.*\)$|"
    r"^(FILE SYSTEM WAS MODIFIED|\*+ FILE SYSTEM)|^/lost\+found not found")


def strip_name(text, image):
    """e2fsck -p's lines without the image's name before each."""
    return "\n".join(line[len(image) + 2:] if line.startswith(image + ": ") else line
                     for line in text.splitlines())


def found_problems(text):
    """The lines of an e2fsck -n report that name a problem (not its passes)."""
    skip = re.compile(r"^(Pass \d|e2fsck \d|(\S+: )?\d+/\d+ files|$)|^\S+: \*+|"
                      r"^(Fix|Clear|Salvage|Relocate|Allocate)\? no$")
    out = []
    for line in text.splitlines():
        line = line.strip()
        if not skip.search(line):
            out.append(line)
    return out


def crash_once(qemu, image, target, timeout):
    """Boots, waits for round target to be synced, kills. Returns (synced, log)."""
    cmd = qemu + ["-drive", f"file={image},if=none,format=raw,id=crashdisk",
                  "-device", "virtio-blk-pci,drive=crashdisk,disable-legacy=on"]
    p = subprocess.Popen(cmd, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT, start_new_session=True)
    sel = selectors.DefaultSelector()
    sel.register(p.stdout, selectors.EVENT_READ)
    log, synced, end = b"", 0, time.monotonic() + timeout
    try:
        while synced < target and time.monotonic() < end:
            if not sel.select(max(0.0, end - time.monotonic())):
                break
            chunk = os.read(p.stdout.fileno(), 65536)
            if not chunk:
                break
            log += chunk
            found = SYNCED_RE.findall(log[-4096:])
            if found:
                synced = max(synced, int(found[-1]))
            if PANIC_RE.search(log):
                break
    finally:
        os.killpg(p.pid, signal.SIGKILL)  # the crash
        p.wait()
    return synced, log


def self_test(a):
    res = Results()
    with tempfile.TemporaryDirectory(prefix="weft-crashtest-") as work:
        folder = os.path.join(work, "tree")
        os.makedirs(os.path.join(folder, "cw"))
        synced = 40
        for rnd in range(synced - SLOTS + 1, synced + 1):
            with open(os.path.join(folder, "cw", f"f.{rnd % SLOTS}"), "wb") as f:
                f.write(round_bytes(rnd))
        image = os.path.join(work, "good.img")
        make_image(image, "8M", folder)
        inner = Results()
        check_disk(image, synced, work, inner, "self-test good image")
        res.check(inner.failed == 0 and inner.passed == 3, "a good image passes")
        with open(os.path.join(folder, "cw", f"f.{(synced - 3) % SLOTS}"), "r+b") as f:
            f.seek(100)
            f.write(b"\x00\x01")
        make_image(image, "8M", folder)
        inner = Results()
        check_disk(image, synced, work, inner, "self-test wrong byte")
        res.check(inner.failed == 1, "a wrong byte fails")
        os.unlink(os.path.join(folder, "cw", f"f.{synced % SLOTS}"))
        make_image(image, "8M", folder)
        inner = Results()
        check_disk(image, synced, work, inner, "self-test missing file")
        res.check(inner.failed == 1, "a missing file fails")
        # An inode whose entry is gone (a crash inside an unlink): -p stops, -y
        # connects it to lost+found, and that is allowed.
        for rnd in range(synced - SLOTS + 1, synced + 1):
            with open(os.path.join(folder, "cw", f"f.{rnd % SLOTS}"), "wb") as f:
                f.write(round_bytes(rnd))
        with open(os.path.join(folder, "cw", "held"), "wb") as f:
            f.write(b"x" * 5000)
        make_image(image, "8M", folder)
        run(["debugfs", "-w", "-R", "unlink /cw/held", image])
        inner = Results()
        check_disk(image, synced, work, inner, "self-test unattached inode")
        res.check(inner.failed == 0 and inner.passed == 3, "an unattached inode is allowed (-y)")
        # A directory block zeroed: not something a crash of this ext2 leaves.
        make_image(image, "8M", folder)
        run(["debugfs", "-w", "-R", "zap_block -f /cw 0", image])
        inner = Results()
        check_disk(image, synced, work, inner, "self-test zeroed directory")
        res.check(inner.failed == 1, "a zeroed directory block fails")
        res.check(round_bytes(3)[:4] == bytes([137, 144, 151, 158]), "round bytes as crashwl's")
    print(f"{res.passed} passed, {res.failed} failed")
    if a.results:
        with open(a.results, "a", encoding="utf-8") as f:
            f.write(f"{a.name} {res.passed} {res.failed}\n")
    return 0 if res.failed == 0 else 1


def main():
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0],
                                 formatter_class=argparse.RawDescriptionHelpFormatter,
                                 epilog=__doc__)
    ap.add_argument("--runs", type=int, default=3, help="crashes (default 3)")
    ap.add_argument("--min-rounds", type=int, default=5, help="earliest kill (default 5)")
    ap.add_argument("--max-rounds", type=int, default=60, help="latest kill (default 60)")
    ap.add_argument("--size", default="32M", help="disk size for mke2fs (default 32M)")
    ap.add_argument("--timeout", type=float, default=300, help="seconds per boot (default 300)")
    ap.add_argument("--seed", type=int, help="random seed (default: from the clock, printed)")
    ap.add_argument("--keep", metavar="DIR", help="keep each crashed image in DIR")
    ap.add_argument("--self-test", action="store_true", help="check the checker, no QEMU")
    ap.add_argument("--results", metavar="FILE",
                    help="append 'NAME PASSED FAILED' to FILE (tools/qemu-test's format)")
    ap.add_argument("--name", default="crash", help="the run's name in --results (default crash)")
    ap.add_argument("--log", metavar="FILE", help="write each boot's console output to FILE")
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- QEMU command")
    a = ap.parse_args()
    if a.self_test:
        return self_test(a)
    qemu = a.qemu[1:] if a.qemu[:1] == ["--"] else a.qemu
    if not qemu or a.runs < 1 or not 1 <= a.min_rounds <= a.max_rounds:
        ap.print_usage(sys.stderr)
        return 2
    seed = a.seed if a.seed is not None else int(time.time())
    print(f"# seed {seed}", flush=True)
    rng = random.Random(seed)
    res = Results()
    with tempfile.TemporaryDirectory(prefix="weft-crashtest-") as work:
        for run_no in range(1, a.runs + 1):
            image = os.path.join(work, "disk.img")
            make_image(image, a.size)
            target = rng.randint(a.min_rounds, a.max_rounds)
            synced, log = crash_once(qemu, image, target, a.timeout)
            if a.log:
                with open(a.log, "ab" if run_no > 1 else "wb") as f:
                    f.write(f"=== run {run_no} (target {target}, seed {seed})\n".encode() + log)
            label = f"run {run_no} (killed after round {synced}, target {target})"
            if not res.check(synced >= target and not PANIC_RE.search(log),
                             f"{label}: the workload reached its target"):
                print("# " + log[-2000:].decode(errors="replace").replace("\n", "\n# "))
                continue
            if a.keep:
                os.makedirs(a.keep, exist_ok=True)
                shutil.copyfile(image, os.path.join(a.keep, f"crash-{seed}-{run_no}.img"))
            check_disk(image, synced, work, res, label)
    print(f"{res.passed} passed, {res.failed} failed")
    if a.results:
        with open(a.results, "a", encoding="utf-8") as f:
            f.write(f"{a.name} {res.passed} {res.failed}\n")
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
