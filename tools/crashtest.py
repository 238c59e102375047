#!/usr/bin/env python3
"""crashtest: crash Weft while it writes an ext2 disk, then check the disk.

    tools/crashtest.py [options] -- QEMU [ARGS...]
    tools/crashtest.py --self-test

QEMU boots a Weft whose boot configuration starts the virtio-blk driver
(vblk), the file server and the workload user/crashwl (which sees fs and
vblk, and mounts the disk's ext2 file system on /disk itself). This script
appends the disk to the command line (-drive file=IMAGE,if=none,format=raw,id=crashdisk
-device virtio-blk-pci,drive=crashdisk), reads the serial console (QEMU's
stdout) and, once the workload has printed "crashwl: synced N" for a
round N at or past a target drawn at random between --min-rounds and
--max-rounds, kills QEMU with SIGKILL: the machine stops mid-write, dirty
cache blocks and the orphan of the file held open included.

Then, on copies of the image:
  e2fsck -fn   reported, not judged (orphans left make it exit 4);
  e2fsck -fp   must repair without questions (exit 0 or 1);
  e2fsck -fn   must then find nothing (exit 0);
  contents     for each of the 15 rounds up to N, the file crashwl renamed
               into place (/cw/f.(r % 16)) and synced must hold that round's
               bytes (read with debugfs).

--runs repeats it with fresh images. One line per check ("ok"/"not ok"),
then "N passed, N failed". Exit status 0 iff nothing failed.

--self-test checks the checker without QEMU: images made with mke2fs -d
holding the files of rounds as the workload writes them, one with a wrong
byte, one missing a file, must pass and fail as they should.

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
    fixed = os.path.join(work, "fp.img")
    shutil.copyfile(image, fixed)
    r = run(["e2fsck", "-fp", fixed])
    if not res.check(r.returncode in (0, 1), f"{label}: e2fsck -fp repairs (exit {r.returncode})"):
        print("# " + r.stdout.decode(errors="replace").replace("\n", "\n# "))
        return
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


def crash_once(qemu, image, target, timeout):
    """Boots, waits for round target to be synced, kills. Returns (synced, log)."""
    cmd = qemu + ["-drive", f"file={image},if=none,format=raw,id=crashdisk",
                  "-device", "virtio-blk-pci,drive=crashdisk"]
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


def self_test():
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
        res.check(round_bytes(3)[:4] == bytes([137, 144, 151, 158]), "round bytes as crashwl's")
    print(f"{res.passed} passed, {res.failed} failed")
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
    ap.add_argument("qemu", nargs=argparse.REMAINDER, help="-- QEMU command")
    a = ap.parse_args()
    if a.self_test:
        return self_test()
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
    return 0 if res.failed == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
